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
  - One call instead of a C(stat), a C(slurp) and up to four
    M(kubernetes.core.k8s_info) calls per cluster, which is most of the time
    of a run that has nothing to upgrade. Helm releases themselves are still
    read with M(kubernetes.core.helm_info).
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
  unfinished:
    description:
      - Whether to read the records of upgrades whose steps after the chart did not all run
        (ConfigMaps labelled C(dce5.skoala/unfinished-upgrade) in O(namespace)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Read the cluster
  dce5.skoala.cluster_state:
    cluster: "{{ inventory_hostname }}"
    kubeconfig: "{{ skoala_kubeconfig }}"
    mysql: {namespace: mcamel-system, name: mcamel-common-mysql-cluster-mysql}
    pods: true
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
  description: Pods of the release namespace that are not Ready, as C(name (phase)).
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
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.dce5.skoala.plugins.module_utils import kubeconfig, unfinished, workloads
from ansible_collections.dce5.skoala.plugins.module_utils.kube import (
    CONNECTION_ARGS, KUBERNETES_IMPORT_ERROR, ApiException, client, api_client)


def read_kubeconfig(module, cluster, path, context):
    summary, problem = kubeconfig.read_file(path, context)
    if problem:
        extra = {"kubeconfig": summary} if summary else {}  # no summary of a file that could not be read
        module.fail_json(msg="%s: %s" % (cluster, problem), **extra)
    return summary


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CONNECTION_ARGS,
            cluster=dict(type="str", required=True),
            namespace=dict(type="str", default="skoala-system"),
            mysql=dict(type="dict"),
            pods=dict(type="bool", default=False),
            insight=dict(type="dict"),
            unfinished=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    summary = read_kubeconfig(module, p["cluster"], p["kubeconfig"], p["context"])
    if KUBERNETES_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    result = dict(changed=False, kubeconfig=summary, mysql={}, unready_pods=[], insight_found=None, unfinished={})
    try:
        api = api_client(p["kubeconfig"], p["context"])
        core = client.CoreV1Api(api)
        try:
            core.read_namespace(p["namespace"], _request_timeout=30)
            result["namespace_exists"] = True
        except ApiException as exc:
            if exc.status != 404:
                raise
            result["namespace_exists"] = False
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg=kubeconfig.unreachable_message(p["cluster"], summary, p["kubeconfig"], exc), kubeconfig=summary)

    try:
        if p["mysql"]:
            result["mysql"] = read_statefulset(api, p["mysql"]["namespace"], p["mysql"]["name"])
        if p["pods"] and result["namespace_exists"]:
            pods = core.list_namespaced_pod(p["namespace"], _request_timeout=30)
            result["unready_pods"] = workloads.unready_pods(api.sanitize_for_serialization(pods).get("items"))
        if p["insight"]:
            found = core.list_namespaced_secret(
                p["insight"]["namespace"], label_selector="owner=helm,name=%s" % p["insight"]["release"], limit=1,
                _request_timeout=30)
            result["insight_found"] = bool(found.items)
        if p["unfinished"] and result["namespace_exists"]:
            records = core.list_namespaced_config_map(
                p["namespace"], label_selector=unfinished.LABEL + "=true", _request_timeout=30)
            result["unfinished"] = unfinished.read_records(api.sanitize_for_serialization(records).get("items"))
    except ApiException as exc:
        module.fail_json(msg="%s: reading the cluster failed: %s %s" % (p["cluster"], exc.status, exc.reason),
                         kubeconfig=summary)
    module.exit_json(**result)


def read_statefulset(api, namespace, name):
    try:
        sts = client.AppsV1Api(api).read_namespaced_stateful_set(name, namespace, _request_timeout=30)
    except ApiException as exc:
        if exc.status == 404:
            return {"found": False, "ready": 0, "replicas": 0}
        raise
    return workloads.statefulset_readiness(api.sanitize_for_serialization(sts))


if __name__ == "__main__":
    main()
