#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: workloads_info
short_description: List the Deployments and StatefulSets of a namespace in one call
version_added: 0.1.0
description:
  - Lists the Deployments and StatefulSets of O(namespace), each with its
    C(kind) set. M(dce5.skoala.wait_ready) calls this once per poll, where
    two M(kubernetes.core.k8s_info) calls would start two processes.
  - Read-only.
author:
  - dce5.skoala contributors (@dce5-skoala)
extends_documentation_fragment:
  - dce5.skoala.cluster_connection
options:
  namespace:
    description: The namespace.
    type: str
    required: true
  kinds:
    description: Which kinds to list.
    type: list
    elements: str
    choices: [Deployment, StatefulSet]
    default: [Deployment, StatefulSet]
requirements:
  - kubernetes (Python)
"""

EXAMPLES = r"""
- name: Workloads of skoala-system
  dce5.skoala.workloads_info:
    namespace: skoala-system
    kubeconfig: ~/.kube/global.yaml
  register: skoala_workloads
"""

RETURN = r"""
resources:
  description: The workloads, as the API returns them, with C(kind) set.
  returned: success
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.dce5.skoala.plugins.module_utils.connection import CONNECTION_ARGS
from ansible_collections.dce5.skoala.plugins.module_utils.kube import KUBERNETES_IMPORT_ERROR, ApiException, client, api_client

LISTS = {"Deployment": "list_namespaced_deployment", "StatefulSet": "list_namespaced_stateful_set"}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CONNECTION_ARGS,
            namespace=dict(type="str", required=True),
            kinds=dict(type="list", elements="str", choices=list(LISTS), default=list(LISTS)),
        ),
        supports_check_mode=True,
    )
    if KUBERNETES_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    p = module.params
    resources = []
    try:
        api = api_client(p["kubeconfig"], p["context"])
        apps = client.AppsV1Api(api)
        for kind in p["kinds"]:
            listed = api.sanitize_for_serialization(getattr(apps, LISTS[kind])(p["namespace"], _request_timeout=30))
            for item in listed.get("items") or []:
                item["kind"] = kind
                item["apiVersion"] = "apps/v1"
                resources.append(item)
    except ApiException as exc:
        module.fail_json(msg="listing workloads in %s failed: %s %s" % (p["namespace"], exc.status, exc.reason))
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg="listing workloads in %s failed: %s" % (p["namespace"], exc))
    module.exit_json(changed=False, resources=resources)


if __name__ == "__main__":
    main()
