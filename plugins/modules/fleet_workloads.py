#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fleet_workloads
short_description: Read the readiness and images of the workloads of many clusters at once
version_added: 0.1.0
description:
  - For each cluster of O(clusters), the Deployments and StatefulSets of its namespace, read by one
    process, a thread per cluster (up to O(max_workers) at a time).
  - Returns whether each cluster's workloads are ready, what is still waited for, the images each
    runs and, once all are ready, those that differ from C(expected_images).
  - A cluster's problem (a kubeconfig that cannot be read, an API server that does not answer) is
    that cluster's C(problem), never a failure of the module.
  - M(dce5.skoala.fleet_wait_ready) polls it; changes nothing, in any mode.
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  clusters:
    description: The clusters and what to read of each.
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
        description: Namespace of the workloads.
        type: str
        required: true
      expected_images:
        description: Workload name to the image tag or full image reference its containers must run.
        type: dict
        default: {}
      label:
        description: What to call the workloads in messages.
        type: str
  kinds:
    description: Kinds of workload to read (group C(apps/v1)).
    type: list
    elements: str
    choices: [Deployment, StatefulSet]
    default: [Deployment, StatefulSet]
  max_workers:
    description: Clusters read at the same time.
    type: int
    default: 8
notes:
  - Supports check mode (it only reads).
requirements:
  - kubernetes (Python)
"""

EXAMPLES = r"""
- name: Read the skoala-init workloads of two workers
  dce5.skoala.fleet_workloads:
    clusters:
      - cluster: worker-a
        kubeconfig: ~/.kube/a.yaml
        namespace: skoala-system
        expected_images: {skoala-agent: v0.28.1}
      - cluster: worker-b
        kubeconfig: ~/.kube/b.yaml
        namespace: skoala-system
  register: workloads
"""

RETURN = r"""
clusters:
  description:
    - Cluster name to what was read. C(problem) is null or the message that names the cluster;
      C(done) is true when every workload is ready; C(image_mismatches) is filled once they are.
  returned: always
  type: dict
  sample:
    worker-a:
      problem: null
      ready: 1
      total: 2
      waiting: ["Deployment/skoala-agent (0/1 available)"]
      done: false
      images: {"Deployment/skoala-agent": ["release.daocloud.io/skoala/skoala-agent:v0.28.1"]}
      image_mismatches: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dce5.skoala.plugins.module_utils import fleet_workloads, kube


def main():
    module = AnsibleModule(
        argument_spec=dict(
            clusters=dict(type="list", elements="dict", required=True, options=fleet_workloads.REQUEST_OPTIONS),
            kinds=dict(type="list", elements="str", choices=list(fleet_workloads.LISTS),
                       default=list(fleet_workloads.LISTS)),
            max_workers=dict(type="int", default=8),
        ),
        supports_check_mode=True,
    )
    if module.params["max_workers"] < 1:
        module.fail_json(msg="max_workers must be at least 1, got %d" % module.params["max_workers"])
    clusters = fleet_workloads.fleet(module.params["clusters"], kube, module.params["kinds"],
                                     module.params["max_workers"])
    module.exit_json(changed=False, clusters=clusters)


if __name__ == "__main__":
    main()
