#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fleet_helm_upgrade
short_description: Run the planned helm upgrade --install of many clusters in one process
version_added: 0.1.0
description:
  - Runs M(dce5.skoala.helm_upgrade)'s upgrade for every cluster of C(clusters),
    a thread per cluster, each C(helm upgrade --install) with C(--output json),
    and returns each cluster's result by name.
  - A cluster's failure is its result (C(failed), C(msg) in
    M(kubernetes.core.helm)'s words), not the module's; each cluster's
    M(dce5.skoala.helm_upgrade) task after it, given this task's result as
    C(batch_result), then returns that cluster's upgrade without running helm,
    and fails that cluster alone, where a rescue can roll it back.
  - Use it where one process per machine replaces a helm_upgrade process per
    cluster (C(playbooks/upgrade.yml)'s worker batches).
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  clusters:
    description:
      - One entry per cluster, with M(dce5.skoala.helm_upgrade)'s options and
        C(cluster), the name its result is returned under.
    type: list
    elements: dict
    required: true
    suboptions:
      cluster:
        description: The name the cluster's result is returned under (its inventory name).
        type: str
        required: true
      kubeconfig:
        description: Path of the cluster's kubeconfig file.
        type: path
        required: true
      context:
        description: Context in the kubeconfig; the current context if not set.
        type: str
      binary_path:
        description: The helm binary.
        type: path
        default: helm
      release_name:
        description: Release to upgrade or install.
        type: str
        required: true
      release_namespace:
        description: Namespace of the release.
        type: str
        required: true
      chart_ref:
        description: Chart reference, C(repo/chart), or the path of a chart archive or directory.
        type: str
        required: true
      chart_version:
        description: Chart version (C(--version)); not for a local chart.
        type: str
      values_files:
        description: Values files, passed in order (C(--values)).
        type: list
        elements: path
        default: []
      release_values:
        description:
          - Values passed after the values files, through a temporary file of
            mode 0600 that is removed afterwards.
        type: dict
        default: {}
      set_values:
        description:
          - Values set one by one, as M(kubernetes.core.helm) takes them
            (C(value), C(value_type)).
        type: list
        elements: dict
        default: []
      reset_values:
        description: Pass C(--reset-values).
        type: bool
        default: false
      create_namespace:
        description: Pass C(--create-namespace).
        type: bool
        default: false
      atomic:
        description: Pass C(--atomic).
        type: bool
        default: false
      wait:
        description: Pass C(--wait).
        type: bool
        default: false
      wait_timeout:
        description: Pass C(--timeout), such as C(600s).
        type: str
  max_workers:
    description: Upgrades run at once.
    type: int
    default: 16
  progress_file:
    description:
      - A file where each cluster is recorded as its upgrade ends (whether it failed, and its seconds;
        no values), for the action plugin to print progress while helm waits. It sets it when the
        module runs on the controller; not for tasks.
    type: path
notes:
  - Supports check mode (it runs nothing then and returns the commands).
  - Its action plugin prints each cluster as its upgrade ends, and how many of how many are done,
    while helm waits (when the module runs on the controller; elsewhere, how long it has waited).
  - Give the task C(no_log) when the values hold secrets.
requirements:
  - helm 3
"""

EXAMPLES = r"""
- name: Upgrade skoala-init on two workers at once
  dce5.skoala.fleet_helm_upgrade:
    clusters:
      - cluster: worker-a
        kubeconfig: ~/.kube/worker-a.yaml
        release_name: skoala-init
        release_namespace: skoala-system
        chart_ref: skoala/skoala-init
        chart_version: 0.28.1
        reset_values: true
        wait: true
        wait_timeout: 600s
      - cluster: worker-b
        kubeconfig: ~/.kube/worker-b.yaml
        release_name: skoala-init
        release_namespace: skoala-system
        chart_ref: skoala/skoala-init
        chart_version: 0.28.1
        reset_values: true
        wait: true
        wait_timeout: 600s
  register: upgraded
  no_log: true
"""

RETURN = r"""
clusters:
  description:
    - Cluster name to its result. C(failed) and C(msg) say whether helm failed and how;
      C(status) is the release after the upgrade as M(dce5.skoala.helm_upgrade) returns it,
      without its values; C(command) is the helm command line; C(stdout) and C(stderr), helm's
      output, only when it failed.
  returned: always
  type: dict
  sample:
    worker-a:
      failed: false
      msg: ""
      status:
        name: skoala-init
        namespace: skoala-system
        revision: "4"
        status: deployed
        chart: skoala-init-0.28.1
        app_version: 0.28.1
      command: [helm, upgrade, --install, skoala-init, skoala/skoala-init]
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dce5.skoala.plugins.module_utils import cluster_read, helm_upgrade


def main():
    module = AnsibleModule(
        argument_spec=dict(
            clusters=dict(type="list", elements="dict", required=True, options=helm_upgrade.REQUEST_OPTIONS),
            max_workers=dict(type="int", default=16),
            progress_file=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    if module.params["max_workers"] < 1:
        module.fail_json(msg="max_workers must be at least 1, got %d" % module.params["max_workers"])

    def values_file(values):
        # The module's tmpdir, and the file with it, goes when it exits.
        return helm_upgrade.write_values_file(module.tmpdir, values)

    def work(params):
        return helm_upgrade.batch_entry(helm_upgrade.upgrade(params, module.run_command, values_file,
                                                             module.check_mode))

    if module.params["progress_file"]:
        work = helm_upgrade.with_progress(work, module.params["progress_file"], time.monotonic)
    clusters = cluster_read.each_cluster(module.params["clusters"], work, module.params["max_workers"])
    changed = not module.check_mode and any(not r["failed"] for r in clusters.values())
    module.exit_json(changed=changed, clusters=clusters)


if __name__ == "__main__":
    main()
