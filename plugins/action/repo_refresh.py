# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Run the repo_refresh module in the task's worker process when it would run on
the controller anyway (plugin_utils/in_worker.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dce5.skoala.plugins.plugin_utils.in_worker import InWorkerAction


class ActionModule(InWorkerAction):
    pass
