# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The values backup of many clusters' releases in one process, a thread per
cluster: each release's user-supplied values (what ``helm get values``
shows, from Helm's release Secret) and its metadata, written as the
backup_values role always wrote them (module_utils/backup.py names and
renders them; module_utils/private_files.py writes them 0600 in a 0700
directory, each through a rename).

A run used to pay two module processes per cluster for this (helm_info,
then private_files): at 16 workers, 40 s of the controller's two cores.

A cluster's problem (unreachable, a release gone, a directory not
writable) is its result, a message without any value in it, never an
exception: the task that runs this hides its output (the values and the
secrets found in them), and the task after it shows the problems.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.dce5.skoala.plugins.module_utils import (
    backup, cluster_read, kubeconfig, private_files, releases, secrets)

TIMEOUT = 30

# One cluster's entry of the module's ``clusters``.
REQUEST_OPTIONS = dict(
    cluster=dict(type="str", required=True),
    kubeconfig=dict(type="path", required=True, no_log=False),
    context=dict(type="str"),
    plans=dict(type="list", elements="dict", required=True),
)


def _reads(request, kube):
    """helm_info-shaped reads of the request's releases (``item``: the plan,
    ``status.values``: the user-supplied values), or raises."""
    api = kube.api_client(request["kubeconfig"], request.get("context"))
    core = kube.client.CoreV1Api(api)
    reads = []
    for plan in request["plans"]:
        answer = core.list_namespaced_secret(plan["namespace"], label_selector="owner=helm,name=%s" % plan["release"],
                                             _request_timeout=TIMEOUT)
        found = releases.latest_release(api.sanitize_for_serialization(answer).get("items") or [])
        status = dict(found.get("status") or {})
        if not status:
            raise LookupError("release %s not found in %s" % (plan["release"], plan["namespace"]))
        status["values"] = status.pop("user_values", None) or {}
        reads.append({"item": plan, "status": status})
    return reads


def back_up_cluster(request, kube, backup_dir, run_id, time, check_mode=False):
    """Back up one cluster's releases; returns ``problem`` (None or a message
    naming the cluster, without values), ``backups`` (component ->
    values_file, meta_file, revision), ``changed_paths``, ``secrets`` (the
    values' secret strings, for masking) and, in check mode, ``values``
    (component -> values: nothing is written, helm-diff gets them from memory)."""
    cluster = request["cluster"]
    result = {"problem": None, "backups": {}, "changed_paths": [], "secrets": [], "values": {}}
    if not request.get("plans"):
        return result
    summary, problem = cluster_read.connection_problem(request, kube)
    if problem:
        result["problem"] = problem
        return result
    try:
        reads = _reads(request, kube)
    except LookupError as exc:
        result["problem"] = "%s: %s; it changed after preflight. Run again." % (cluster, exc.args[0])
        return result
    except (ValueError, TypeError, EOFError) as exc:
        result["problem"] = "%s: a Helm release record could not be read: %s" % (cluster, type(exc).__name__)
        return result
    except Exception as exc:  # pylint: disable=broad-except
        result["problem"] = kubeconfig.unreachable_message(cluster, summary, request["kubeconfig"], exc)
        return result
    files = backup.backup_files(reads, backup_dir, cluster, run_id)
    directory = os.path.join(backup_dir, cluster)
    contents = {f["name"]: f["content"] for f in backup.backup_private_files(files, time)}
    try:
        changed, dummy = private_files.write_all(directory, contents, check_mode)
    except (OSError, IOError) as exc:
        result["problem"] = ("%s: writing the backup into %s failed: %s; check skoala_backup_dir is writable."
                             % (cluster, directory, exc.strerror or type(exc).__name__))
        return result
    result.update(
        backups=backup.backup_index(files["meta"]),
        changed_paths=changed,
        secrets=secrets.secrets_in([v["values"] for v in files["values"]]),
        values=backup.backup_values_by_component(files["values"]) if check_mode else {},
    )
    return result


def back_up_fleet(requests, kube, backup_dir, run_id, time, check_mode=False, max_workers=8):
    """cluster -> back_up_cluster's result, the clusters in parallel."""
    return cluster_read.each_cluster(
        requests, lambda r: back_up_cluster(r, kube, backup_dir, run_id, time, check_mode), max_workers)


# --- the module's results, as the role reads them -------------------------

def _clusters(results):
    """cluster -> result from the module's results (a loop over machines);
    a skipped machine adds none."""
    merged = {}
    for res in results or []:
        merged.update((res or {}).get("clusters") or {})
    return merged


def run_problems(results):
    """The problems of every cluster backed up, clusters in order of the results."""
    return [r["problem"] for r in _clusters(results).values() if r.get("problem")]


def requests_of(hosts, all_host_vars):
    """The module's ``clusters`` for ``hosts``: each one's releases whose
    plan (``skoala_plans``) upgrades them, with the connection preflight read
    it through (``skoala_preflight_request``; preflight sets both, for the
    fleet or, a role used alone, for its cluster). A release this play backed
    up already (``skoala_backups``, upgrade_skoala used alone) is left out,
    and so is a host with nothing left to back up."""
    out = []
    for host in hosts:
        host_vars = all_host_vars[host]
        done = host_vars.get("skoala_backups") or {}
        plans = [p for p in host_vars.get("skoala_plans") or []
                 if p.get("action") == "upgrade" and p.get("component") not in done]
        if not plans:
            continue
        read = (host_vars.get("skoala_preflight_request") or {}).get("read") or {}
        out.append({"cluster": host, "kubeconfig": read.get("kubeconfig"), "context": read.get("context") or None,
                    "plans": plans})
    return out


def run_of(results, cluster):
    """The cluster's backups, secrets and (check mode) values; empty when it
    had nothing to back up."""
    found = _clusters(results).get(cluster) or {}
    return {"backups": found.get("backups") or {}, "secrets": found.get("secrets") or [],
            "values": found.get("values") or {}}
