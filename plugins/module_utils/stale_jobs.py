# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The plan's ``delete_jobs`` step for many clusters in one process, a
thread per cluster: delete the named Jobs (skoala-init's gateway admission
Jobs, whose pod template Kubernetes will not patch) and wait until they are
gone, so the chart can create them again.

A batch of workers used to pay a kubernetes.core.k8s process per cluster
for this: about 1.3 s of the controller's CPU each (measured on the
sandbox). A cluster's problem is its result, a message that names the
cluster and the fix, never an exception: the task after the module fails
that cluster alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.dce5.skoala.plugins.module_utils import cluster_read, kubeconfig
from ansible_collections.dce5.skoala.plugins.module_utils.plain_text import one_line

TIMEOUT = 30
POLL = 0.5

# One cluster's entry of the module's ``clusters``.
REQUEST_OPTIONS = dict(
    cluster=dict(type="str", required=True),
    kubeconfig=dict(type="path", required=True, no_log=False),
    context=dict(type="str"),
    namespace=dict(type="str", required=True),
    jobs=dict(type="list", elements="str", required=True),
)


def _present(batch, kube, names, namespace):
    """The Jobs of ``names`` that exist."""
    found = []
    for name in names:
        try:
            batch.read_namespaced_job(name, namespace, _request_timeout=TIMEOUT)
        except kube.ApiException as exc:
            if exc.status == 404:
                continue
            raise
        found.append(name)
    return found


def delete_cluster_jobs(request, kube, timeout=120, check_mode=False, sleep=time.sleep, clock=time.monotonic):
    """Delete one cluster's stale Jobs and wait until they are gone. Returns
    ``problem`` (None or the message) and ``deleted`` (the Jobs that were
    there: in check mode, the ones that would be deleted)."""
    cluster, namespace, names = request["cluster"], request["namespace"], list(request["jobs"])
    result = {"problem": None, "deleted": []}
    summary, problem = cluster_read.connection_problem(request, kube)
    if problem:
        result["problem"] = problem
        return result
    try:
        batch = kube.client.BatchV1Api(kube.api_client(request["kubeconfig"], request.get("context")))
        present = _present(batch, kube, names, namespace)
        result["deleted"] = present
        if check_mode or not present:
            return result
        for name in present:
            try:
                # Background: the Job goes at once, the garbage collector takes its pods.
                batch.delete_namespaced_job(name, namespace, propagation_policy="Background", _request_timeout=TIMEOUT)
            except kube.ApiException as exc:
                if exc.status != 404:
                    raise
        deadline = clock() + timeout
        left = _present(batch, kube, present, namespace)
        while left:
            if clock() >= deadline:
                result["problem"] = (
                    "%s: the Jobs %s in %s were still there %d s after they were deleted (a finalizer?). Look at "
                    "them with kubectl get job %s -n %s -o yaml --kubeconfig %s, remove what holds them and "
                    "run again." % (cluster, ", ".join(left), namespace, timeout, left[0], namespace,
                                    request["kubeconfig"]))
                return result
            sleep(POLL)
            left = _present(batch, kube, left, namespace)
    except kube.ApiException as exc:
        result["problem"] = ("%s: deleting the stale Jobs %s in %s failed: %s %s. Check the kubeconfig's rights to "
                             "delete Jobs there and run again." % (cluster, ", ".join(names), namespace, exc.status,
                                                                   one_line(exc.reason, 200)))
    except Exception as exc:  # pylint: disable=broad-except
        result["problem"] = kubeconfig.unreachable_message(cluster, summary, request["kubeconfig"], str(exc))
    return result


def delete_fleet_jobs(requests, kube, timeout=120, check_mode=False, max_workers=8):
    """cluster -> delete_cluster_jobs' result, the clusters in parallel."""
    return cluster_read.each_cluster(
        requests, lambda r: delete_cluster_jobs(r, kube, timeout, check_mode), max_workers)


def requests_of(hosts, all_host_vars, component):
    """The module's ``clusters`` for ``hosts``: each one whose plan for
    ``component`` runs ``delete_jobs`` before the chart (when an
    upgrade_release role would run the step), with the connection preflight
    read it through. The Jobs of several such steps go in one request; a
    plan whose steps name more than one namespace is left to its own steps."""
    out = []
    for host in hosts:
        host_vars = all_host_vars[host]
        plan = next((p for p in host_vars.get("skoala_plans") or [] if p.get("component") == component), None)
        if not plan or plan.get("action") not in ("install", "upgrade", "finish"):
            continue
        steps = [s for s in plan.get("steps") or [] if s.get("name") == "delete_jobs" and s.get("phase") == "pre"]
        namespaces = set(s["params"]["namespace"] for s in steps)
        if len(namespaces) != 1:
            continue
        jobs = []
        for step in steps:
            jobs += [j for j in step["params"]["jobs"] if j not in jobs]
        read = (host_vars.get("skoala_preflight_request") or {}).get("read") or {}
        out.append({"cluster": host, "kubeconfig": read.get("kubeconfig"), "context": read.get("context") or None,
                    "namespace": namespaces.pop(), "jobs": jobs})
    return out


# This host's result from the looped runs of delete_jobs (cluster_read says how).
result_of = cluster_read.result_of
