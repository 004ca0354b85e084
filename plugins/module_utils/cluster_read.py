# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""What preflight reads of a cluster, read-only: the kubeconfig (without its
credentials), whether the API server answers, the MySQL StatefulSet, pods
that are not ready, insight-agent, the records of unfinished upgrades, and
the skoala releases as Helm keeps them (its release Secrets: the same
record ``helm status`` and ``helm get values --all`` read, without a helm
process per release).

``read_fleet`` reads many clusters at once, a thread each up to a bound:
one process for the whole fleet instead of a few per cluster. A cluster's
problem (bad kubeconfig, API server down) is its result, never an exception.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from concurrent.futures import ThreadPoolExecutor

try:
    import yaml
except ImportError:  # where the modules run, the kubernetes package brings it
    yaml = None

from ansible_collections.dce5.skoala.plugins.module_utils import (
    backup, kubeconfig, releases, status, unfinished, workloads)
from ansible_collections.dce5.skoala.plugins.module_utils.connection import CONNECTION_ARGS

TIMEOUT = 30

# What to read of one cluster: the options of dce5.skoala.cluster_state, and
# the entries of dce5.skoala.fleet_state's clusters.
REQUEST_OPTIONS = dict(
    CONNECTION_ARGS,
    cluster=dict(type="str", required=True),
    namespace=dict(type="str", default="skoala-system"),
    mysql=dict(type="dict"),
    pods=dict(type="bool", default=False),
    insight=dict(type="dict"),
    unfinished=dict(type="bool", default=False),
    releases=dict(type="list", elements="str", default=[]),
    # Global management's release (namespace, release), on the control plane.
    ghippo=dict(type="dict"),
    # The fleet lock's Lease in ``namespace``, on the control plane: preflight
    # names another run that holds it before anything else it finds.
    lock=dict(type="str"),
    # The directory of the backups (one directory per cluster in it): the newest
    # backup of each release, and the keys of its values that changed since.
    backup_dir=dict(type="path"),
)


def empty_result(summary=None):
    return {"kubeconfig": summary, "problem": None, "namespace_exists": None, "mysql": {}, "unready_pods": [],
            "insight_found": None, "unfinished": {}, "releases": {},
            "kubernetes_version": None, "ghippo": None, "backups": {}, "lock": None}


def connection_problem(request, kube):
    """``(summary, problem)`` before a request's cluster is reached: the
    kubeconfig's summary (no credentials) and None, or the message naming
    the cluster when its kubeconfig or the kubernetes package is missing.
    Every module that works on many clusters starts with it."""
    summary, problem = kubeconfig.read_file(request["kubeconfig"], request.get("context"))
    if problem:
        return summary, "%s: %s" % (request["cluster"], problem)
    if kube.KUBERNETES_IMPORT_ERROR:
        return summary, "%s: the Python package kubernetes is missing where the modules run" % request["cluster"]
    return summary, None


def read_cluster(request, kube):
    """The result for one request (a dict of REQUEST_OPTIONS). ``kube`` is
    module_utils.kube, passed in so that tests can give another."""
    summary, problem = connection_problem(request, kube)
    result = empty_result(summary)
    if problem:
        result["problem"] = problem
        return result
    namespace = request.get("namespace") or "skoala-system"
    try:
        api = kube.api_client(request["kubeconfig"], request.get("context"))
        core = kube.client.CoreV1Api(api)
        try:
            core.read_namespace(namespace, _request_timeout=TIMEOUT)
            result["namespace_exists"] = True
        except kube.ApiException as exc:
            if exc.status != 404:
                raise
            result["namespace_exists"] = False
    except Exception as exc:  # pylint: disable=broad-except
        result["problem"] = kubeconfig.unreachable_message(request["cluster"], summary, request["kubeconfig"], exc)
        return result

    def items(answer):
        return api.sanitize_for_serialization(answer).get("items") or []

    def helm_release(namespace, name):
        return releases.latest_release(items(core.list_namespaced_secret(
            namespace, label_selector="owner=helm,name=%s" % name, _request_timeout=TIMEOUT)))

    try:
        result["kubernetes_version"] = kube.client.VersionApi(api).get_code(_request_timeout=TIMEOUT).git_version
        if request.get("ghippo"):
            found = helm_release(request["ghippo"]["namespace"], request["ghippo"]["release"])
            result["ghippo"] = releases.other_release(found)
        if request.get("mysql"):
            result["mysql"] = read_statefulset(kube, api, request["mysql"]["namespace"], request["mysql"]["name"])
        if request.get("insight"):
            found = core.list_namespaced_secret(
                request["insight"]["namespace"], label_selector="owner=helm,name=%s" % request["insight"]["release"],
                limit=1, _request_timeout=TIMEOUT)
            result["insight_found"] = bool(found.items)
        if result["namespace_exists"]:
            if request.get("lock"):
                result["lock"] = read_lease(kube, api, namespace, request["lock"])
            if request.get("pods"):
                pods = core.list_namespaced_pod(namespace, _request_timeout=TIMEOUT)
                result["unready_pods"] = workloads.unready_pods(items(pods))
            if request.get("unfinished"):
                records = core.list_namespaced_config_map(
                    namespace, label_selector=unfinished.LABEL + "=true", _request_timeout=TIMEOUT)
                result["unfinished"] = unfinished.read_records(items(records))
        for release in request.get("releases") or []:
            found = helm_release(namespace, release) if result["namespace_exists"] else {}
            result["releases"][release] = releases.release_summary(found, release)
            if request.get("backup_dir"):
                result["backups"][release] = backup_state(
                    request["backup_dir"], request["cluster"], release, found if result["namespace_exists"] else {})
    except kube.ApiException as exc:
        result["problem"] = "%s: reading the cluster failed: %s %s" % (request["cluster"], exc.status, exc.reason)
    except (ValueError, TypeError, OSError, EOFError) as exc:
        result["problem"] = "%s: a Helm release record in %s could not be read: %s" % (
            request["cluster"], namespace, exc)
    return result


def backup_state(backup_dir, cluster, release, found):
    """The newest backup of ``release`` (its metadata, never its values) and
    the keys of the release's user-supplied values (``found``: what
    releases.latest_release returned) that differ from the backed-up ones.

    The two sets of values are compared here, in the process that reads them,
    so only key names leave it: ``backup`` (None when there is none),
    ``changes`` (added / removed / changed keys; None when nothing could be
    compared) and ``problems`` (unusable backup files, and why)."""
    directory = os.path.join(backup_dir, cluster)
    exists, names, metas = backup.read_directory(directory)
    newest = backup.newest_backup(cluster, release, directory, metas, names, exists)
    meta = newest["backup"]
    out = {"backup": None, "changes": None, "problems": list(newest["problems"])}
    if meta is None:
        return out
    out["backup"] = {k: meta.get(k) for k in ("meta_file", "values_file", "time", "revision", "chart", "run_id")}
    if not (found or {}).get("status"):
        return out
    try:
        with open(meta["values_file"], "rb") as f:
            backed_up = yaml.safe_load(f.read().decode("utf-8")) or {}
    # Any failure: a YAML error quotes the text, so only its kind is shown.
    except Exception as exc:  # pylint: disable=broad-except
        out["problems"].append("%s: backup values file %s cannot be read (%s); values are not compared." % (
            cluster, meta["values_file"], type(exc).__name__))
        return out
    if not isinstance(backed_up, dict):
        out["problems"].append("%s: backup values file %s holds no mapping; values are not compared." % (
            cluster, meta["values_file"]))
        return out
    out["changes"] = status.value_changes(backed_up, found["status"].get("user_values") or {})
    return out


def read_lease(kube, api, namespace, name):
    """The Lease (who holds it, since when; no secret in it), or None."""
    try:
        lease = kube.client.CoordinationV1Api(api).read_namespaced_lease(name, namespace, _request_timeout=TIMEOUT)
    except kube.ApiException as exc:
        if exc.status == 404:
            return None
        raise
    lease = api.sanitize_for_serialization(lease)
    return {"metadata": {k: (lease.get("metadata") or {}).get(k) for k in ("name", "namespace", "annotations")},
            "spec": lease.get("spec") or {}}


def read_statefulset(kube, api, namespace, name):
    try:
        sts = kube.client.AppsV1Api(api).read_namespaced_stateful_set(name, namespace, _request_timeout=TIMEOUT)
    except kube.ApiException as exc:
        if exc.status == 404:
            return {"found": False, "ready": 0, "replicas": 0}
        raise
    return workloads.statefulset_readiness(api.sanitize_for_serialization(sts))


def each_cluster(requests, work, max_workers=8):
    """cluster -> ``work(request)`` for each request, a thread per cluster up
    to ``max_workers``: the fleet's reads and its backups."""
    requests = list(requests or [])
    if not requests:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(requests)))) as pool:
        return dict(zip([r["cluster"] for r in requests], pool.map(work, requests)))


def result_of(run, host):
    """This host's result from a fleet module's runs registered over a loop
    (one run per machine, ``results``, each with ``clusters`` by host), or
    None when no run covered it."""
    for item in (run or {}).get("results") or []:
        clusters = item.get("clusters") or {}
        if host in clusters:
            return clusters[host]
    return None


def read_fleet(requests, kube, max_workers=8):
    """cluster -> result of read_cluster, the clusters read in parallel."""
    return each_cluster(requests, lambda r: read_cluster(r, kube), max_workers)
