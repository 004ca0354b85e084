# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Verify's readiness check for a batch of clusters in one process per
poll, a thread per cluster: each cluster's Deployments and StatefulSets in
its release namespace, whether they are ready, and the images they run.

The verify role ran dce5.skoala.wait_ready per cluster: a
dce5.skoala.workloads_info process per poll, about 0.9 s of the
controller's CPU each (measured on the sandbox), most of it importing the
kubernetes client. A cluster's problem is its result, a message naming the
cluster, never an exception: the task after the wait fails that cluster
alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dce5.skoala.plugins.module_utils import cluster_read, images, kubeconfig, workloads
from ansible_collections.dce5.skoala.plugins.module_utils.plain_text import one_line

TIMEOUT = 30
LISTS = {"Deployment": "list_namespaced_deployment", "StatefulSet": "list_namespaced_stateful_set"}

# One cluster's entry of fleet_workloads' (and fleet_wait_ready's) ``clusters``.
REQUEST_OPTIONS = dict(
    cluster=dict(type="str", required=True),
    kubeconfig=dict(type="path", required=True, no_log=False),
    context=dict(type="str"),
    namespace=dict(type="str", required=True),
    expected_images=dict(type="dict", default={}),
    label=dict(type="str"),
)


def list_workloads(kube, api, namespace, kinds):
    """The namespace's workloads of ``kinds``, as the API returns them (with kind and apiVersion)."""
    apps = kube.client.AppsV1Api(api)
    found = []
    for kind in kinds:
        listed = api.sanitize_for_serialization(getattr(apps, LISTS[kind])(namespace, _request_timeout=TIMEOUT))
        for item in listed.get("items") or []:
            item["kind"] = kind
            item["apiVersion"] = "apps/v1"
            found.append(item)
    return found


def cluster_workloads(request, kube, kinds):
    """One cluster's readiness (``ready``, ``total``, ``waiting``, ``done``),
    its images per workload and, once every workload is ready, the images
    that differ from ``expected_images``; ``problem`` when it cannot be read."""
    cluster, namespace = request["cluster"], request["namespace"]
    result = {"problem": None, "ready": 0, "total": 0, "waiting": [], "done": False, "images": {},
              "image_mismatches": []}
    summary, problem = cluster_read.connection_problem(request, kube)
    if problem:
        result["problem"] = problem
        return result
    try:
        objects = list_workloads(kube, kube.api_client(request["kubeconfig"], request.get("context")), namespace,
                                 kinds)
    except kube.ApiException as exc:
        result["problem"] = "%s: listing workloads in %s failed: %s %s" % (cluster, namespace, exc.status,
                                                                           one_line(exc.reason, 200))
        return result
    except Exception as exc:  # pylint: disable=broad-except
        result["problem"] = kubeconfig.unreachable_message(cluster, summary, request["kubeconfig"], str(exc))
        return result
    state = workloads.readiness(objects)
    result.update(ready=state["ready"], total=state["total"], waiting=state["waiting"], done=state["done"],
                  images=workloads.images(objects))
    if state["done"]:
        result["image_mismatches"] = workloads.image_mismatches(objects, request.get("expected_images"))
    return result


def fleet(requests, kube, kinds=("Deployment", "StatefulSet"), max_workers=8):
    """cluster -> cluster_workloads' result, the clusters in parallel."""
    return cluster_read.each_cluster(requests, lambda r: cluster_workloads(r, kube, kinds), max_workers)


def verify_requests(hosts, all_host_vars, component):
    """The ``clusters`` of fleet_wait_ready for ``hosts``: each one with a
    plan for ``component`` that changes it (what the verify role checks),
    reached the way preflight read it, with the images its plan sets."""
    out = []
    for host in hosts:
        host_vars = all_host_vars[host]
        plan = next((p for p in host_vars.get("skoala_plans") or [] if p.get("component") == component), None)
        if not plan or plan.get("action") not in ("install", "upgrade", "finish"):
            continue
        read = (host_vars.get("skoala_preflight_request") or {}).get("read") or {}
        out.append({"cluster": host, "kubeconfig": read.get("kubeconfig"), "context": read.get("context") or None,
                    "namespace": plan["namespace"], "expected_images": images.expected_images(plan.get("image_tags")),
                    "label": "%s workloads in %s" % (plan["release"], plan["namespace"])})
    return out


def progress_line(host, label, state):
    """What an operator reads while waiting: wait_ready's line, without the time."""
    line = "%d/%d ready" % (state["ready"], state["total"])
    if state["waiting"]:
        line += ", waiting for " + ", ".join(state["waiting"])
    return "[%s] %s: %s" % (host, label, line)


def outcome(host, label, state, timeout, elapsed, timed_out=False):
    """The result for one cluster once its wait is over: ``failed`` and
    ``msg`` in wait_ready's words, and what was seen."""
    result = {"failed": False, "msg": "", "ready": state.get("ready", 0), "total": state.get("total", 0),
              "waiting": state.get("waiting") or [], "images": state.get("images") or {},
              "image_mismatches": state.get("image_mismatches") or [], "elapsed": round(elapsed, 1)}
    if state.get("problem"):
        result.update(failed=True, msg=state["problem"])
    elif timed_out:
        waiting = ", ".join(result["waiting"])
        result.update(failed=True, msg="%s: %s not ready after %ss: %s" % (host, label, timeout, waiting))
    elif result["image_mismatches"]:
        result.update(failed=True, msg="%s: %s ready but running unexpected images: %s" % (
            host, label, "; ".join(result["image_mismatches"])))
    return result


# This host's result from the looped runs of fleet_wait_ready (cluster_read says how).
result_of = cluster_read.result_of
