# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Compute the upgrade plan on the controller.

The plan is pure logic over what preflight read (it talks to no cluster),
so running the module in a process per cluster only cost time: about a
second of CPU per cluster. Same arguments, same result as the module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.dce5.skoala.plugins.module_utils import plan as plan_utils
from ansible_collections.dce5.skoala.plugins.module_utils import versions


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        validation = ArgumentSpecValidator(plan_utils.ARGUMENT_SPEC).validate(self._task.args)
        if validation.error_messages:
            raise AnsibleActionFail("; ".join(validation.error_messages))
        try:
            plan = plan_utils.run(validation.validated_parameters)
        except versions.VersionError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result.update(changed=False, plan=plan)
        return result
