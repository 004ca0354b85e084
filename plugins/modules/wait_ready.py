#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: wait_ready
short_description: Wait for the Deployments and StatefulSets of a namespace, showing progress
version_added: 0.1.0
description:
  - Polls the namespace with M(dce5.skoala.workloads_info) until every
    Deployment and StatefulSet is ready (updated, available, old replicas
    gone), printing C(ready/total) and what is still waited for whenever it
    changes.
  - Optionally checks the images the workloads run.
  - This is an action plugin; the documentation lives here.
author:
  - dce5.skoala contributors (@dce5-skoala)
extends_documentation_fragment:
  - dce5.skoala.cluster_connection
options:
  namespace:
    description: Namespace to watch.
    type: str
    required: true
  kinds:
    description: Kinds of workload to wait for (group C(apps/v1)).
    type: list
    elements: str
    default: [Deployment, StatefulSet]
  timeout:
    description: Seconds to wait before failing with what is not ready.
    type: int
    default: 300
  interval:
    description: Seconds between polls.
    type: float
    default: 2.0
  expected_images:
    description:
      - Workload name to the image tag (C(v0.28.1)) or full image reference
        its containers must run.
    type: dict
    default: {}
  label:
    description: What to call the workloads in progress lines.
    type: str
notes:
  - Supports check mode (it only reads).
requirements:
  - kubernetes.core
"""

EXAMPLES = r"""
- name: Wait for skoala
  dce5.skoala.wait_ready:
    namespace: skoala-system
    kubeconfig: ~/.kube/global.yaml
    timeout: 600
    expected_images:
      hive: v0.28.1
      sesame: v0.28.1
"""

RETURN = r"""
ready:
  description: Workloads ready.
  returned: always
  type: int
  sample: 3
total:
  description: Workloads found.
  returned: always
  type: int
  sample: 3
waiting:
  description: Workloads not ready, with why.
  returned: always
  type: list
  elements: str
  sample: ["Deployment/hive (1/2 available)"]
images:
  description: Images per workload.
  returned: success
  type: dict
  sample: {"Deployment/hive": ["release.daocloud.io/skoala/hive:v0.28.1"]}
elapsed:
  description: Seconds waited.
  returned: success
  type: float
  sample: 4.2
"""
