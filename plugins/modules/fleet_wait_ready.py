#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fleet_wait_ready
short_description: Wait for the workloads of many clusters at once, showing each cluster's progress
version_added: 0.1.0
description:
  - What M(dce5.skoala.wait_ready) does for one namespace, for the namespaces of many clusters at
    once. Each poll reads every cluster still waited for in one M(dce5.skoala.fleet_workloads)
    process, a thread per cluster.
  - Prints each cluster's C(ready/total) and what it still waits for whenever that changes, and
    how many clusters are done between polls.
  - Once a cluster's workloads are all ready, checks the images they run against its
    C(expected_images).
  - A cluster that is not ready in time, runs unexpected images or cannot be read is a failed
    entry of C(clusters), with the message that names it; the task itself fails only on bad
    arguments, so the task after it can fail that cluster alone.
  - This is an action plugin; the documentation lives here.
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  clusters:
    description: The clusters and what to wait for on each.
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
        description: Namespace to watch.
        type: str
        required: true
      expected_images:
        description: Workload name to the image tag (C(v0.28.1)) or full image reference its containers must run.
        type: dict
        default: {}
      label:
        description: What to call the workloads in progress lines.
        type: str
  kinds:
    description: Kinds of workload to wait for (group C(apps/v1)).
    type: list
    elements: str
    choices: [Deployment, StatefulSet]
    default: [Deployment, StatefulSet]
  timeout:
    description: Seconds to wait, for all the clusters, before a cluster still not ready fails.
    type: int
    default: 300
  interval:
    description: Seconds between polls.
    type: float
    default: 2.0
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
- name: Wait for the skoala-init workloads of two workers
  dce5.skoala.fleet_wait_ready:
    clusters:
      - cluster: worker-a
        kubeconfig: ~/.kube/a.yaml
        namespace: skoala-system
        expected_images: {skoala-agent: v0.28.1}
      - cluster: worker-b
        kubeconfig: ~/.kube/b.yaml
        namespace: skoala-system
    timeout: 600
  register: waited
"""

RETURN = r"""
clusters:
  description:
    - Cluster name to the end of its wait. C(failed) and C(msg) say whether and why it failed;
      the rest is what was last seen.
  returned: always
  type: dict
  sample:
    worker-a:
      failed: false
      msg: ""
      ready: 2
      total: 2
      waiting: []
      images: {"Deployment/skoala-agent": ["release.daocloud.io/skoala/skoala-agent:v0.28.1"]}
      image_mismatches: []
      elapsed: 4.2
"""
