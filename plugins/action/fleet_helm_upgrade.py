# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Run the fleet_helm_upgrade module, printing progress while helm waits.

One process upgrades the whole batch (module_utils/helm_upgrade.py); a task
per cluster printed each cluster as it ended, this one would print nothing
until the last. While the module runs, a thread here prints each cluster as
its upgrade ends and how many of how many are done, read from the progress
file the module writes; when the module runs on another machine, the file is
not at hand, and the thread says how long helm has waited.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile
import threading
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.dce5.skoala.plugins.module_utils import helm_upgrade
from ansible_collections.dce5.skoala.plugins.plugin_utils.in_worker import LOCAL_CONNECTIONS, run_module

display = Display()

# Seconds between looks at the progress file, and between lines when nothing changed.
LOOK = 1.0
QUIET = 30.0


class Progress(threading.Thread):
    """Prints the batch's progress until stopped."""

    def __init__(self, clusters, label, path, clock=time.monotonic, say=display.display):
        super(Progress, self).__init__(daemon=True)
        self.clusters, self.label, self.path = clusters, label, path
        self.clock, self.say = clock, say
        self.stopped = threading.Event()
        self.started_at = clock()
        self.shown = set()

    def look(self, last_line_at):
        """Print what changed (or a line after QUIET seconds of nothing); when it printed."""
        done = helm_upgrade.read_progress(self.path) if self.path else {}
        news = [c for c in self.clusters if c in done and c not in self.shown]
        now = self.clock()
        if not news and now - last_line_at < QUIET:
            return last_line_at
        for line in helm_upgrade.progress_lines(self.clusters, done, self.shown, now - self.started_at, self.label):
            self.say(line)
        self.shown.update(news)
        return now

    def run(self):
        last_line_at = self.started_at
        while not self.stopped.wait(LOOK):
            last_line_at = self.look(last_line_at)


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        module_args = dict(self._task.args)
        clusters = [c.get("cluster") for c in module_args.get("clusters") or [] if isinstance(c, dict)]
        if self._task.check_mode or not clusters:
            result.update(run_module(self, "dce5.skoala.fleet_helm_upgrade", module_args, task_vars))
            return result
        path = None
        if self._connection.transport in LOCAL_CONNECTIONS:
            fd, path = tempfile.mkstemp(prefix="skoala-helm-progress-", suffix=".json")
            os.close(fd)
            module_args["progress_file"] = path
        releases = sorted(set(c.get("release_name") or "?" for c in module_args["clusters"] if isinstance(c, dict)))
        progress = Progress(clusters, ", ".join(releases), path)
        display.display("helm upgrade of %s on %d cluster(s): %s" % (progress.label, len(clusters), ", ".join(clusters)))
        progress.start()
        try:
            result.update(run_module(self, "dce5.skoala.fleet_helm_upgrade", module_args, task_vars))
        finally:
            progress.stopped.set()
            progress.join()
            done = helm_upgrade.read_progress(path) if path else {}
            if path:
                for leftover in (path, path + ".tmp"):
                    if os.path.exists(leftover):
                        os.remove(leftover)
        # The clusters that ended since the thread's last look, and the count.
        for cluster, entry in (result.get("clusters") or {}).items():
            done.setdefault(cluster, {"failed": entry.get("failed"), "seconds": None})
        lines = helm_upgrade.progress_lines(clusters, done, progress.shown,
                                            time.monotonic() - progress.started_at, progress.label)
        # The thread's last look may already have printed every cluster and the count.
        for line in lines[:-1] if set(clusters) <= progress.shown else lines:
            display.display(line)
        return result
