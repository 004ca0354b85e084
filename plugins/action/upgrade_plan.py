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

from ansible.plugins.action import ActionBase

from ansible_collections.dce5.skoala.plugins.module_utils import plan as plan_utils
from ansible_collections.dce5.skoala.plugins.module_utils import upgrade_path, versions
from ansible_collections.dce5.skoala.plugins.plugin_utils.action_args import validated_args


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = validated_args(plan_utils.ARGUMENT_SPEC, self._task.args, "dce5.skoala.upgrade_plan")
        try:
            plan = plan_utils.run(args)
        except (versions.VersionError, upgrade_path.UpgradePathError) as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result.update(changed=False, plan=plan)
        return result
