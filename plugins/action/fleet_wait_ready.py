# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Wait until the workloads of many clusters are ready, printing each
cluster's progress as it changes, with one dce5.skoala.fleet_workloads
process per poll for all of them (module_utils/fleet_workloads.py says why).

An action plugin so progress reaches the operator while waiting. A
cluster's failure (not ready in time, unexpected images, unreachable) is its
result: the task fails only on bad arguments.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.dce5.skoala.plugins.module_utils import fleet_workloads
from ansible_collections.dce5.skoala.plugins.plugin_utils.action_args import validated_args
from ansible_collections.dce5.skoala.plugins.plugin_utils.in_worker import run_module

display = Display()

ARGUMENT_SPEC = dict(
    clusters=dict(type="list", elements="dict", required=True, options=fleet_workloads.REQUEST_OPTIONS),
    kinds=dict(type="list", elements="str", choices=list(fleet_workloads.LISTS), default=list(fleet_workloads.LISTS)),
    timeout=dict(type="int", default=300),
    interval=dict(type="float", default=2.0),
    max_workers=dict(type="int", default=8),
)


class ActionModule(ActionBase):
    _supports_check_mode = True

    def _read(self, args, pending, task_vars):
        module_args = {"clusters": [dict((k, v) for k, v in c.items() if v is not None) for c in pending],
                       "kinds": args["kinds"], "max_workers": args["max_workers"]}
        answer = run_module(self, "dce5.skoala.fleet_workloads", module_args, task_vars)
        if answer.get("failed"):
            raise AnsibleActionFail("reading the workloads of %s failed: %s"
                                    % (", ".join(c["cluster"] for c in pending), answer.get("msg")))
        return answer.get("clusters") or {}

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = validated_args(ARGUMENT_SPEC, self._task.args, "dce5.skoala.fleet_wait_ready")
        for name in ("timeout", "max_workers"):
            if args[name] <= 0:
                raise AnsibleActionFail("%s must be above 0, got %s" % (name, args[name]))
        pending = list(args["clusters"])
        total = len(pending)
        label_of = dict((c["cluster"], c.get("label") or "workloads in %s" % c["namespace"]) for c in pending)
        last, done = {}, {}
        started = time.time()
        deadline = started + args["timeout"]
        while pending:
            states = self._read(args, pending, task_vars)
            elapsed = time.time() - started
            for request in list(pending):
                host = request["cluster"]
                state = states.get(host) or {"problem": "%s: the cluster was not read" % host}
                if not state.get("problem"):
                    line = fleet_workloads.progress_line(host, label_of[host], state)
                    if line != last.get(host):
                        display.display("%s (%ds)" % (line, elapsed))
                        last[host] = line
                if state.get("problem") or state.get("done"):
                    done[host] = fleet_workloads.outcome(host, label_of[host], state, args["timeout"], elapsed)
                    pending.remove(request)
            if not pending:
                break
            if time.time() >= deadline:
                for request in pending:
                    host = request["cluster"]
                    done[host] = fleet_workloads.outcome(host, label_of[host], states.get(host) or {},
                                                         args["timeout"], elapsed, timed_out=True)
                break
            display.display("%d/%d clusters done; waiting for %s" % (
                total - len(pending), total, ", ".join(r["cluster"] for r in pending)))
            time.sleep(args["interval"])
        result.update(changed=False, clusters=done)
        return result
