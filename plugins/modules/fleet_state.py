#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fleet_state
short_description: Read what preflight needs to know of many clusters, read-only, in one call
version_added: 0.1.0
description:
  - For each cluster of O(clusters), what M(dce5.skoala.cluster_state) reads of one, the clusters
    read in parallel (up to O(max_workers) at a time) by one process.
  - A cluster's problem (a kubeconfig that cannot be read, an API server that does not answer) is
    returned as that cluster's C(problem), with the message M(dce5.skoala.cluster_state) fails with;
    the module itself fails only on bad arguments.
  - The preflight role runs it once per machine the clusters are reached from, instead of a few
    tasks (each a process) per cluster.
  - Changes nothing, in any mode.
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  clusters:
    description: What to read of each cluster.
    type: list
    elements: dict
    required: true
    suboptions:
      cluster:
        description: Name of the cluster in messages and in the result (the inventory host).
        type: str
        required: true
      kubeconfig:
        description: Path of the cluster's kubeconfig file.
        type: path
        required: true
      context:
        description: Context in the kubeconfig; the current context if not set.
        type: str
      namespace:
        description: The release namespace.
        type: str
        default: skoala-system
      mysql:
        description: The StatefulSet to read, as C(namespace) and C(name); not read when not set.
        type: dict
      pods:
        description: Whether to list the pods of C(namespace) that are not ready.
        type: bool
        default: false
      insight:
        description: The insight-agent release to look for, as C(namespace) and C(release); not looked for when not set.
        type: dict
      ghippo:
        description:
          - Global management's release to read, as C(namespace) and C(release) (see M(dce5.skoala.cluster_state));
            not read when not set.
        type: dict
      lock:
        description: The name of the fleet lock's Lease to read in C(namespace) (see M(dce5.skoala.cluster_state)).
        type: str
      unfinished:
        description: Whether to read the records of unfinished upgrades (see M(dce5.skoala.cluster_state)).
        type: bool
        default: false
      releases:
        description: The releases to read from Helm's release Secrets in C(namespace), by name.
        type: list
        elements: str
        default: []
      backup_dir:
        description:
          - The directory of the backups (one directory per cluster in it); not read when not set.
          - The newest backup of each release and the keys of its values changed since (see
            M(dce5.skoala.cluster_state)); the values are compared in the module and never returned.
        type: path
  helm_binary:
    description:
      - Helm to read the version of, on the machine the module runs on (a path, or a name looked up in
        C(PATH)); not read when not set.
    type: str
  directories:
    description:
      - Directories the run will write to on this machine, by the variable that names them
        (C(skoala_backup_dir) for example); whether each exists, is a directory and is writable.
    type: dict
    default: {}
  max_workers:
    description: How many clusters are read at the same time.
    type: int
    default: 8
requirements:
  - kubernetes (Python)
"""

EXAMPLES = r"""
- name: Read two clusters at once
  dce5.skoala.fleet_state:
    clusters:
      - {cluster: global, kubeconfig: ~/.kube/global.yaml, releases: [skoala], pods: true}
      - {cluster: worker-a, kubeconfig: ~/.kube/a.yaml, releases: [skoala-init]}
  register: skoala_fleet_read
"""

RETURN = r"""
clusters:
  description:
    - Cluster name to what M(dce5.skoala.cluster_state) returns for it, plus C(problem)
      (null, or the message that names the cluster and the fix).
  returned: always
  type: dict
  sample:
    worker-a:
      problem: null
      kubeconfig: {context: a, contexts: [a], server: "https://10.0.0.2:6443"}
      namespace_exists: true
      mysql: {}
      unready_pods: []
      insight_found: null
      unfinished: {}
      kubernetes_version: v1.33.0
      ghippo: null
      backups: {}
      releases: {skoala-init: {installed: true, chart: skoala-init-0.19.2, version: 0.19.2, status: deployed,
                               revision: 1, app_version: 0.19.2, image_tags: {}}}
helm:
  description:
    - Helm on this machine, when O(helm_binary) is set; null otherwise. C(rc) is null when the binary
      was not found, C(version) is empty unless C(rc) is 0, and C(msg) says why it failed.
  returned: always
  type: dict
  sample: {binary: /usr/local/bin/helm, rc: 0, version: v3.19.0, msg: ""}
directories:
  description: Each directory of O(directories), by its name there.
  returned: always
  type: dict
  sample: {skoala_backup_dir: {path: ./backups, exists: true, isdir: true, writeable: true}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dce5.skoala.plugins.module_utils import cluster_read, kube, machine_state


def main():
    module = AnsibleModule(
        argument_spec=dict(
            clusters=dict(type="list", elements="dict", required=True, options=cluster_read.REQUEST_OPTIONS),
            helm_binary=dict(type="str"),
            directories=dict(type="dict", default={}),
            max_workers=dict(type="int", default=8),
        ),
        supports_check_mode=True,
    )
    if module.params["max_workers"] < 1:
        module.fail_json(msg="max_workers must be at least 1, got %d" % module.params["max_workers"])
    params = module.params
    helm = None
    if params["helm_binary"]:
        helm = machine_state.helm_version(
            params["helm_binary"], lambda binary: machine_state.find_binary(binary, module.get_bin_path),
            lambda argv: module.run_command(argv, check_rc=False))
    directories = dict((name, machine_state.directory_state(path))
                       for name, path in sorted(params["directories"].items()))
    clusters = cluster_read.read_fleet(params["clusters"], kube, params["max_workers"])
    module.exit_json(changed=False, clusters=clusters, helm=helm, directories=directories)


if __name__ == "__main__":
    main()
