#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: delete_jobs
short_description: Delete named Jobs on many clusters at once and wait until they are gone
version_added: 0.1.0
description:
  - The plan's C(delete_jobs) step for a batch of clusters in one process, a
    thread per cluster. skoala-init's gateway admission Jobs have a pod
    template Kubernetes will not patch, so they are deleted before the chart
    is upgraded and the chart creates them again.
  - Each Job is deleted with propagation C(Background); the module then
    waits until every one is gone.
  - A cluster's problem (kubeconfig, API server, rights, a Job that does not
    go) is its result, never a failure of the module, so the task after it
    can fail that cluster alone.
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  clusters:
    description: The clusters and their Jobs.
    type: list
    elements: dict
    required: true
    suboptions:
      cluster:
        description: Name of the cluster (its inventory host).
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
        description: Namespace of the Jobs.
        type: str
        required: true
      jobs:
        description: Names of the Jobs; a Job that does not exist is left alone.
        type: list
        elements: str
        required: true
  timeout:
    description: Seconds to wait for the deleted Jobs to be gone.
    type: int
    default: 120
  max_workers:
    description: Clusters handled at the same time.
    type: int
    default: 8
notes:
  - Supports check mode (it reads which Jobs exist and deletes nothing).
requirements:
  - kubernetes (Python)
"""

EXAMPLES = r"""
- name: Delete the gateway admission Jobs of two workers
  dce5.skoala.delete_jobs:
    clusters:
      - cluster: worker-a
        kubeconfig: ~/.kube/a.yaml
        namespace: skoala-system
        jobs: [gateway-api-admission, gateway-api-admission-patch]
      - cluster: worker-b
        kubeconfig: ~/.kube/b.yaml
        namespace: skoala-system
        jobs: [gateway-api-admission, gateway-api-admission-patch]
  register: deleted
"""

RETURN = r"""
clusters:
  description:
    - Cluster name to its result. C(problem) is null or the message that names the cluster and
      the fix; C(deleted) lists the Jobs that were there and are gone (in check mode, that would go).
  returned: always
  type: dict
  sample:
    worker-a:
      problem: null
      deleted: [gateway-api-admission, gateway-api-admission-patch]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dce5.skoala.plugins.module_utils import kube, stale_jobs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            clusters=dict(type="list", elements="dict", required=True, options=stale_jobs.REQUEST_OPTIONS),
            timeout=dict(type="int", default=120),
            max_workers=dict(type="int", default=8),
        ),
        supports_check_mode=True,
    )
    for name in ("timeout", "max_workers"):
        if module.params[name] < 1:
            module.fail_json(msg="%s must be at least 1, got %d" % (name, module.params[name]))
    clusters = stale_jobs.delete_fleet_jobs(module.params["clusters"], kube, module.params["timeout"],
                                            check_mode=module.check_mode, max_workers=module.params["max_workers"])
    module.exit_json(changed=any(r["deleted"] for r in clusters.values()), clusters=clusters)


if __name__ == "__main__":
    main()
