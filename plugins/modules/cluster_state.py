#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cluster_state
short_description: Read what preflight needs to know of one cluster, read-only, in one call
version_added: 0.1.0
description:
  - Checks the kubeconfig file (exists, is a regular readable file, has the
    context) and summarises it without credentials.
  - Asks the API server for the release namespace, which proves the cluster
    answers; reads the MySQL StatefulSet skoala keeps its data in, the pods
    of the release namespace, and whether an insight-agent release exists
    (from Helm's release Secrets).
  - Reads the skoala releases named in O(releases) as Helm keeps them, in
    its release Secrets (the newest revision whatever its state, and the
    computed values, as M(kubernetes.core.helm_info) with C(release_state=all)
    and C(get_all_values=true) would), summarised without their values.
  - One call instead of a C(stat), a C(slurp), up to four
    M(kubernetes.core.k8s_info) calls and a C(helm) process per release.
    M(dce5.skoala.fleet_state) reads many clusters in one call.
  - Changes nothing, in any mode.
author:
  - dce5.skoala contributors (@dce5-skoala)
extends_documentation_fragment:
  - dce5.skoala.cluster_connection
options:
  cluster:
    description: Name of the cluster in messages (the inventory host).
    type: str
    required: true
  namespace:
    description: The release namespace.
    type: str
    default: skoala-system
  mysql:
    description: The StatefulSet to read, as C(namespace) and C(name); not read when not set.
    type: dict
  pods:
    description: Whether to list the pods of O(namespace) that are not ready.
    type: bool
    default: false
  insight:
    description: The insight-agent release to look for, as C(namespace) and C(release); not looked for when not set.
    type: dict
  ghippo:
    description:
      - Global management's (ghippo's) Helm release to read, as C(namespace) and C(release); not read when not set.
      - DCE 5.0 installs it as release C(ghippo) in namespace C(ghippo-system), on the global cluster.
    type: dict
  lock:
    description:
      - The name of the fleet lock's Lease to read in O(namespace) (role C(fleet_lock) writes it on the control plane);
        not read when not set.
    type: str
  unfinished:
    description:
      - Whether to read the records of upgrades whose steps after the chart did not all run
        (ConfigMaps labelled C(dce5.skoala/unfinished-upgrade) in O(namespace)).
    type: bool
    default: false
  releases:
    description: The releases to read from Helm's release Secrets in O(namespace), by name.
    type: list
    elements: str
    default: []
  backup_dir:
    description:
      - The directory of the backups (one directory per cluster in it, as M(dce5.skoala.private_files) writes
        them for the role C(backup_values)); not read when not set.
      - For each release of O(releases), the newest backup's metadata, and the keys of the release's
        user-supplied values that differ from the backed-up ones. The values are compared in the module and
        never returned.
    type: path
"""

EXAMPLES = r"""
- name: Read the cluster
  dce5.skoala.cluster_state:
    cluster: "{{ inventory_hostname }}"
    kubeconfig: "{{ skoala_kubeconfig }}"
    mysql: {namespace: mcamel-system, name: mcamel-common-mysql-cluster-mysql}
    pods: true
    releases: [skoala]
  register: skoala_cluster
"""

RETURN = r"""
kubeconfig:
  description: The kubeconfig without credentials.
  returned: always
  type: dict
  sample: {context: kind-global, contexts: [kind-global], server: "https://10.0.0.1:6443"}
namespace_exists:
  description: Whether the release namespace exists.
  returned: success
  type: bool
mysql:
  description: The StatefulSet's C(found), C(ready) and C(replicas); empty when not read.
  returned: success
  type: dict
  sample: {found: true, ready: 1, replicas: 1}
unready_pods:
  description: Pods of the release namespace that are not Ready, as C(name (phase)); pods that ran to completion (a Job's, phase Succeeded) are left out.
  returned: success
  type: list
  elements: str
insight_found:
  description: Whether the insight-agent release exists; null when not looked for.
  returned: success
  type: bool
unfinished:
  description: Release name to C(from) and C(target) of each unfinished upgrade; empty when not read.
  returned: success
  type: dict
  sample: {skoala-init: {from: 0.28.1, target: 0.37.0}}
lock:
  description: The fleet lock's Lease (C(metadata) name, namespace, annotations; C(spec)); null when not read or absent.
  returned: success
  type: dict
kubernetes_version:
  description: The API server's version as it reports it (C(gitVersion)).
  returned: success
  type: str
  sample: v1.33.0
ghippo:
  description:
    - Global management's release as read (C(installed), C(chart), C(version), C(status)); null when not asked for.
  returned: success
  type: dict
  sample: {installed: true, chart: ghippo-0.23.0, version: 0.23.0, status: deployed}
releases:
  description:
    - Release name to its summary, values left out. C(installed) false and the rest empty when Helm has no
      record of it.
  returned: success
  type: dict
  sample:
    skoala:
      installed: true
      chart: skoala-0.19.2
      version: 0.19.2
      status: deployed
      revision: 3
      app_version: 0.19.2
      last_deployed: "2026-12-04T22:06:23.871234567Z"
      image_tags: {hive.image.tag: v0.19.2}
backups:
  description:
    - With O(backup_dir), release name to C(backup) (the newest backup's C(meta_file), C(values_file),
      C(time), C(revision), C(chart), C(run_id); null when there is none), C(changes) (the value keys
      C(added), C(removed) and C(changed) since that backup; null when nothing could be compared) and
      C(problems) (unusable backup files). Empty without O(backup_dir).
  returned: success
  type: dict
  sample:
    skoala:
      backup: {meta_file: ./backups/dce-global/skoala_20261204T220900Z_rev1.meta.yaml,
               values_file: ./backups/dce-global/skoala_20261204T220900Z_rev1.values.yaml,
               time: "2026-12-04T22:09:00Z", revision: 1, chart: skoala-0.19.2, run_id: 20261204T220900Z}
      changes: {added: [], removed: [], changed: ["hive.configMap.database[0].dsn"]}
      problems: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dce5.skoala.plugins.module_utils import cluster_read, kube


def main():
    module = AnsibleModule(argument_spec=cluster_read.REQUEST_OPTIONS, supports_check_mode=True)
    result = cluster_read.read_cluster(module.params, kube)
    problem = result.pop("problem")
    if problem:
        extra = {"kubeconfig": result["kubeconfig"]} if result["kubeconfig"] else {}
        module.fail_json(msg=problem, **extra)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
