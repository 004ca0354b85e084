# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Run the helm_upgrade module, unless the batch's fleet_helm_upgrade run
(``batch_result``) already upgraded this cluster: then return that cluster's
upgrade as if the module had run it. One task per cluster then covers both
ways, where a task to run the module and another to read the batch's result
were two for every cluster of the batch."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.dce5.skoala.plugins.module_utils import helm_upgrade
from ansible_collections.dce5.skoala.plugins.plugin_utils.in_worker import run_module


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        batch_run = args.pop("batch_result", None)
        done = helm_upgrade.from_batch(batch_run, task_vars.get("inventory_hostname"))
        if done is not None and not self._play_context.check_mode:
            result.update(done)
            return result
        result.update(run_module(self, "dce5.skoala.helm_upgrade", args, task_vars))
        return result
