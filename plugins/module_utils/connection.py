# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The connection options of every module that reads or changes one cluster,
documented once in the doc fragment dce5.skoala.cluster_connection.

Kept apart from kube.py, which imports the kubernetes client: the filter and
action plugins that build argument specs from these run in a worker forked
for every task and host, and importing the client there cost about 0.3 s of
CPU each time (tests/unit/plugins/test_controller_imports.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

CONNECTION_ARGS = dict(
    kubeconfig=dict(type="path", required=True, no_log=False),
    context=dict(type="str"),
)
