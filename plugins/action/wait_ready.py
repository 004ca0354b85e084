# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Wait until every Deployment and StatefulSet in a namespace is ready,
printing progress (ready/total and what is still waited for) as it goes.

An action plugin rather than a module so progress reaches the operator
while waiting; each poll runs dce5.skoala.workloads_info on the target host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.dce5.skoala.plugins.module_utils import workloads
from ansible_collections.dce5.skoala.plugins.plugin_utils.action_args import validated_args
from ansible_collections.dce5.skoala.plugins.plugin_utils.in_worker import run_module

display = Display()


class ActionModule(ActionBase):
    _supports_check_mode = True

    def _list(self, args, task_vars):
        module_args = {"namespace": args["namespace"], "kinds": args["kinds"]}
        for key in ("kubeconfig", "context"):
            if args.get(key):
                module_args[key] = args[key]
        result = run_module(self, "dce5.skoala.workloads_info", module_args, task_vars)
        if result.get("failed"):
            raise AnsibleActionFail("reading %s failed: %s" % (", ".join(args["kinds"]), result.get("msg")))
        return result.get("resources") or []

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = validated_args(workloads.WAIT_READY_ARGUMENT_SPEC, self._task.args, "dce5.skoala.wait_ready")
        if args["timeout"] <= 0:
            raise AnsibleActionFail("timeout must be above 0 seconds, got %s" % args["timeout"])
        host = task_vars.get("inventory_hostname", "?")
        label = args.get("label") or "workloads in %s" % args["namespace"]
        deadline = time.time() + args["timeout"]
        last = None
        started = time.time()
        while True:
            objects = self._list(args, task_vars)
            state = workloads.readiness(objects)
            line = "%d/%d ready" % (state["ready"], state["total"])
            if state["waiting"]:
                line += ", waiting for " + ", ".join(state["waiting"])
            if line != last:
                display.display("[%s] %s: %s (%ds)" % (host, label, line, time.time() - started))
                last = line
            if state["done"]:
                break
            if time.time() >= deadline:
                result.update(failed=True, ready=state["ready"], total=state["total"], waiting=state["waiting"],
                              msg="%s: %s not ready after %ss: %s" % (
                                  host, label, args["timeout"], ", ".join(state["waiting"])))
                return result
            time.sleep(args["interval"])
        mismatches = workloads.image_mismatches(objects, args["expected_images"])
        result.update(changed=False, ready=state["ready"], total=state["total"], waiting=[],
                      images=workloads.images(objects), elapsed=round(time.time() - started, 1))
        if mismatches:
            result.update(failed=True, image_mismatches=mismatches,
                          msg="%s: %s ready but running unexpected images: %s" % (host, label, "; ".join(mismatches)))
        return result
