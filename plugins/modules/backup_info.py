#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: backup_info
short_description: Say whether one release can be rolled back to its newest backup, read-only
version_added: 0.1.0
description:
  - Finds the newest backup of O(release) in O(backup_dir)/O(cluster)/, as
    role C(dce5.skoala.backup_values) wrote it. It takes the exact release
    (by file name, confirmed by the metadata's C(release) and C(cluster)),
    newest by the metadata's time, then run id. Only
    metadata files are read; values files are only checked to exist (they
    may be encrypted with Ansible Vault).
  - Reads the release's Helm history from Helm's release Secrets
    (labels C(owner=helm,name=<release>)) in O(namespace), keeping only each
    revision's chart and status; never the values.
  - Decides C(rollback), C(none) (the release is deployed at the backed-up
    chart already) or C(problem), with a message naming the cluster, the
    file and the fix (an unreadable or edited metadata file, a missing
    values file, no backup at all, a backed-up revision Helm no longer keeps
    (C(--history-max)) or that now holds another chart (the release was
    uninstalled and installed again), a release not installed, or a cluster
    that does not answer). The module itself fails only on bad arguments.
  - Changes nothing, in any mode. Run it where helm runs (the backups live
    there).
author:
  - dce5.skoala contributors (@dce5-skoala)
extends_documentation_fragment:
  - dce5.skoala.cluster_connection
options:
  cluster:
    description: Name of the cluster (the inventory host); the backups are in its directory.
    type: str
    required: true
  component:
    description: The chart the release is made from.
    type: str
    required: true
    choices: [skoala, skoala-init]
  release:
    description: The release name; defaults to O(component).
    type: str
  namespace:
    description: The release namespace.
    type: str
    default: skoala-system
  backup_dir:
    description: The backup root (C(skoala_backup_dir)); each cluster has a directory in it.
    type: path
    required: true
notes:
  - Supports check mode; never changes anything.
  - Helm must keep its releases in Secrets (its default storage driver).
seealso:
  - module: dce5.skoala.private_files
requirements:
  - kubernetes (Python)
"""

EXAMPLES = r"""
- name: Can skoala-init go back to its newest backup?
  dce5.skoala.backup_info:
    cluster: "{{ inventory_hostname }}"
    component: skoala-init
    backup_dir: "{{ skoala_backup_dir }}"
    kubeconfig: "{{ skoala_kubeconfig }}"
  register: skoala_check

- name: Stop on a problem, naming the file and the fix
  ansible.builtin.assert:
    that: skoala_check.decision != 'problem'
    fail_msg: "{{ skoala_check.problem }}"
"""

RETURN = r"""
decision:
  description: C(rollback), C(none) (already deployed at the backed-up chart) or C(problem).
  returned: always
  type: str
  sample: rollback
problem:
  description: What is wrong, naming the cluster, the file and the fix; null when nothing is.
  returned: always
  type: str
  sample: "worker-1: backup metadata /b/worker-1/skoala-init_20261121T000000Z_rev1.meta.yaml is not valid YAML ..."
problems:
  description: The same, one message per cause.
  returned: always
  type: list
  elements: str
backup:
  description: The newest backup's metadata (never values), with C(meta_file) and C(values_file) as full paths; null when none.
  returned: always
  type: dict
  sample: {release: skoala-init, cluster: worker-1, revision: 1, chart: skoala-init-0.19.2, run_id: 20261121T000000Z,
           time: "2026-11-21T00:00:00Z", meta_file: /b/worker-1/skoala-init_20261121T000000Z_rev1.meta.yaml}
ignored:
  description: Metadata files in the directory that belong to other releases or clusters.
  returned: always
  type: list
  elements: str
reachable:
  description: Whether the cluster answered.
  returned: always
  type: bool
history:
  description: Helm's revisions of the release, oldest first, as C(revision), C(chart) and C(status).
  returned: always
  type: list
  elements: dict
  sample: [{revision: 1, chart: skoala-init-0.19.2, status: superseded}, {revision: 2, chart: skoala-init-0.28.1, status: deployed}]
current:
  description: Helm's newest revision; null when the release is not installed or the cluster did not answer.
  returned: always
  type: dict
revision_kept:
  description: Whether the backed-up revision is still in the history with the same chart; null when unknown.
  returned: always
  type: bool
rollback:
  description: What a rollback does, for the rolling-back task and the fleet table.
  returned: always
  type: dict
  contains:
    cluster:
      description: The cluster.
      type: str
    release:
      description: The release.
      type: str
    component:
      description: The chart.
      type: str
    namespace:
      description: The release namespace.
      type: str
    decision:
      description: As RV(decision).
      type: str
    revision:
      description: The revision to roll back to.
      type: int
    chart:
      description: Its chart (name-version).
      type: str
    from:
      description: The current revision, chart and status, as text.
      type: str
    to:
      description: The revision and chart rolled back to, as text.
      type: str
    backup:
      description: The metadata file.
      type: str
    jobs:
      description: Jobs to delete before C(helm rollback) (the admission Jobs of skoala-init).
      type: list
      elements: str
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.dce5.skoala.plugins.module_utils import backup, kubeconfig
from ansible_collections.dce5.skoala.plugins.module_utils.connection import CONNECTION_ARGS
from ansible_collections.dce5.skoala.plugins.module_utils.kube import KUBERNETES_IMPORT_ERROR, client, api_client


def read_history(p):
    """(history, None), or (None, why the cluster did not answer)."""
    path = p["kubeconfig"]
    summary, problem = kubeconfig.read_file(path, p["context"])
    if problem:
        return None, problem
    try:
        core = client.CoreV1Api(api_client(path, p["context"]))
        # The raw answer: decoding each release record needs only its data.
        answer = core.list_namespaced_secret(p["namespace"], label_selector="owner=helm,name=%s" % p["release"],
                                             _request_timeout=30, _preload_content=False)
        secrets = json.loads(answer.data).get("items") or []
    except Exception as exc:  # pylint: disable=broad-except
        return None, kubeconfig.unreachable_message(p["cluster"], summary, path, exc)
    return backup.helm_history(secrets), None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CONNECTION_ARGS,
            cluster=dict(type="str", required=True),
            component=dict(type="str", required=True, choices=["skoala", "skoala-init"]),
            release=dict(type="str"),
            namespace=dict(type="str", default="skoala-system"),
            backup_dir=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    p["release"] = p["release"] or p["component"]
    if KUBERNETES_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    directory = os.path.join(p["backup_dir"], p["cluster"])
    exists, names, metas = backup.read_directory(directory)
    found = backup.newest_backup(p["cluster"], p["release"], directory, metas, names, exists)
    history, unreachable = read_history(p)
    result = backup.decide(p["cluster"], p["release"], p["component"], p["namespace"], directory, found, history,
                           unreachable, p["kubeconfig"], p["context"])
    module.exit_json(changed=False, backup=found["backup"], ignored=found["ignored"], reachable=unreachable is None,
                     history=history or [], **result)


if __name__ == "__main__":
    main()
