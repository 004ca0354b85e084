# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Runs the db_upgrade_job module without waiting, then polls it and prints
the Job's progress until it completes, fails or times out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.dce5.skoala.plugins.module_utils import jobs
from ansible_collections.dce5.skoala.plugins.plugin_utils.action_args import validated_args
from ansible_collections.dce5.skoala.plugins.plugin_utils.in_worker import run_module

display = Display()
MODULE = "dce5.skoala.db_upgrade_job"


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        checked = validated_args(jobs.ARGUMENT_SPEC, self._task.args, MODULE)
        args = dict(self._task.args)
        args.pop("wait", None)
        wait = checked["wait"]
        timeout = checked["wait_timeout"]
        interval = checked["poll_interval"]
        host = task_vars.get("inventory_hostname", "?")
        first = run_module(self, MODULE, dict(args, state="present", wait=False), task_vars)
        if first.get("failed") or self._task.check_mode or not wait or first.get("state") != "running":
            result.update(first)
            return result
        job = first["job"]
        label = "DB upgrade Job %s/%s" % (job["namespace"], job["name"])
        started = time.time()
        last = None
        status = first
        while True:
            status = run_module(self, MODULE, dict(args, state="status"), task_vars)
            if status.get("failed"):
                break
            line = "%s: %s" % (status.get("state"), "; ".join(status.get("details") or []) or "waiting for its pod")
            if line != last:
                display.display("[%s] %s %s (%ds)" % (host, label, line, time.time() - started))
                last = line
            if status.get("state") != "running":
                break
            if time.time() - started >= timeout:
                status = dict(status, failed=True, msg="%s did not finish within %ss: %s" % (
                    label, timeout, "; ".join(status.get("details") or [])))
                break
            time.sleep(interval)
        if status.get("state") == "failed" and not status.get("failed"):
            status["failed"] = True
            status["msg"] = "%s failed: %s" % (label, "; ".join(status.get("details") or []))
        result.update(status)
        # The Job was created by the first call; what the status calls return
        # says nothing about that.
        result["changed"] = bool(first.get("changed"))
        for key in ("objects", "diff"):
            if key in first:
                result[key] = first[key]
        return result
