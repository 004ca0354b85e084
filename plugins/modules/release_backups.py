#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release_backups
short_description: Back up the values of many clusters' Helm releases in one call
version_added: 0.1.0
description:
  - For each cluster of O(clusters), reads the user-supplied values of each release of its
    C(plans) (what C(helm get values) shows, from Helm's release Secret of the newest revision)
    and writes them, with a metadata file, in the directory of the cluster under O(backup_dir),
    mode 0600 in a 0700 directory, each file through a temporary file and a rename. The names and contents are
    those the P(dce5.skoala.backup_values#role) role and P(dce5.skoala.rollback#role) share
    (C(<release>-<run id>-rev<revision>.values.yaml) and C(.meta.yaml)).
  - The clusters are backed up in parallel (up to O(max_workers) at a time) by one process; the
    backup_values role runs it once per machine the clusters are reached from.
  - A cluster's problem (a kubeconfig that cannot be read, an API server that does not answer, a
    release that is gone, a directory that cannot be written) is returned as that cluster's
    C(problem), a message without any value in it; the module itself fails only on bad arguments.
  - The result holds the secrets found in the values (and, in check mode, the values), so run it
    with C(no_log) and show the C(problem)s in a task of their own.
  - In check mode nothing is written, and the values are returned instead.
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  clusters:
    description: The clusters and the releases to back up.
    type: list
    elements: dict
    required: true
    suboptions:
      cluster:
        description: The cluster's name (the directory of its backups under O(backup_dir)).
        type: str
        required: true
      kubeconfig:
        description: Path of the cluster's kubeconfig file.
        type: path
        required: true
      context:
        description: Context in the kubeconfig; the current context if not set.
        type: str
      plans:
        description:
          - The plans of the releases to back up, as the P(dce5.skoala.preflight#role) role makes them;
            each needs C(component), C(release), C(namespace), C(current) and C(target).
        type: list
        elements: dict
        required: true
  backup_dir:
    description: The directory of the backups (one directory per cluster in it).
    type: path
    required: true
  run_id:
    description: The run id the file names and the metadata carry.
    type: str
    required: true
  time:
    description: The time the metadata records (UTC, C(YYYY-MM-DDTHH:MM:SSZ)).
    type: str
    required: true
  max_workers:
    description: How many clusters are backed up at the same time.
    type: int
    default: 8
requirements:
  - kubernetes (Python)
"""

EXAMPLES = r"""
- name: Back up two clusters' releases
  dce5.skoala.release_backups:
    clusters:
      - cluster: worker-a
        kubeconfig: ~/.kube/a.yaml
        plans: "{{ hostvars['worker-a'].skoala_plans | selectattr('action', 'equalto', 'upgrade') }}"
    backup_dir: ./backups
    run_id: "{{ skoala_run_id }}"
    time: "{{ now(utc=true, fmt='%Y-%m-%dT%H:%M:%SZ') }}"
  register: skoala_backup_run
  no_log: true
"""

RETURN = r"""
clusters:
  description:
    - Cluster name to its result. C(problem) is null or the message that names the cluster and
      the fix; C(backups) maps each component to its C(values_file), C(meta_file) and
      C(revision); C(changed_paths) lists the files written; C(secrets) the secret strings in the
      values (to mask them in messages); C(values), in check mode only, the values per component.
  returned: always
  type: dict
  sample:
    worker-a:
      problem: null
      backups:
        skoala-init:
          values_file: ./backups/worker-a/skoala-init-20260101T000000Z-1a2b-rev3.values.yaml
          meta_file: ./backups/worker-a/skoala-init-20260101T000000Z-1a2b-rev3.meta.yaml
          revision: 3
      changed_paths: []
      secrets: []
      values: {}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dce5.skoala.plugins.module_utils import kube, release_backups


def main():
    module = AnsibleModule(
        argument_spec=dict(
            clusters=dict(type="list", elements="dict", required=True, options=release_backups.REQUEST_OPTIONS),
            backup_dir=dict(type="path", required=True),
            run_id=dict(type="str", required=True),
            time=dict(type="str", required=True),
            max_workers=dict(type="int", default=8),
        ),
        supports_check_mode=True,
    )
    if module.params["max_workers"] < 1:
        module.fail_json(msg="max_workers must be at least 1, got %d" % module.params["max_workers"])
    clusters = release_backups.back_up_fleet(
        module.params["clusters"], kube, module.params["backup_dir"], module.params["run_id"], module.params["time"],
        check_mode=module.check_mode, max_workers=module.params["max_workers"])
    changed = any(r["changed_paths"] for r in clusters.values())
    module.exit_json(changed=changed, clusters=clusters)


if __name__ == "__main__":
    main()
