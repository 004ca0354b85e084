# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Preflight's checks and plans of a set of clusters, in one pass on the
controller.

The role gathers one request per cluster (its variables, templated once in
a task per cluster) and the clusters' reads (fleet_state, once per machine).
Everything after that is pure logic over them, done here once for the whole
fleet: each task of a play costs a process and a templating of every
variable per cluster, so 20 tasks per cluster were most of a preflight's
time at 16 workers. The role used alone on one cluster runs the same code
with a fleet of one, so the two ways say the same things.

A request (``preflight_request`` in roles/preflight/tasks/checks.yml):
``cluster``, ``components``, ``inputs`` (the variables input_checks checks),
``read`` (cluster_read's request), ``plan`` (the plan's settings: target,
ui, downgrade, recovery, namespace, path rows and skips) and ``names``
(namespaces and names the messages mention).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.dce5.skoala.plugins.module_utils import (
    bundle, fleet_plans, input_checks, plan as plan_utils, upgrade_path, versions)


def components_problem(host, components, for_what="plan"):
    """The message for a cluster with no skoala release to work on, or None."""
    if components:
        return None
    return ("%s: no skoala release to %s. Put the cluster in group skoala_control_plane (skoala) or "
            "skoala_workers (skoala-init), or set skoala_components for it (e.g. ['skoala-init'])."
            % (host, for_what))


def input_problems(requests, extra_var_names=None):
    """Every cluster's problems with its inputs, the clusters in order."""
    problems = []
    for req in requests:
        found = components_problem(req["cluster"], req.get("components"))
        if found:
            problems.append(found)
        problems.extend(input_checks.input_problems(req["cluster"], req.get("inputs") or {}, extra_var_names))
    return problems


def mysql_problem(host, mysql, names):
    """The message when skoala's database is missing or not ready, or None."""
    if not mysql:
        return None
    if mysql.get("found") and (mysql.get("ready") or 0) >= (mysql.get("replicas") or 0):
        return None
    where = "%s/%s" % (names.get("mysql_namespace"), names.get("mysql_statefulset"))
    state = "not found" if not mysql.get("found") else "ready %s/%s" % (mysql.get("ready"), mysql.get("replicas"))
    return ("%s: StatefulSet %s %s; skoala keeps its data there. Fix the database first, or point "
            "skoala_mysql_namespace / skoala_mysql_statefulset at yours (skip with skoala_preflight_skip: [mysql])."
            % (host, where, state))


def cluster_problems(requests, reads):
    """Clusters that could not be read, and a control plane whose database
    is not ready: preflight stops on these before it plans."""
    problems = []
    for req in requests:
        host = req["cluster"]
        read = reads.get(host)
        if read is None:
            problems.append("%s: the cluster was not read (its machine's read failed, see above)." % host)
            continue
        if read.get("problem"):
            problems.append(read["problem"])
            continue
        found = mysql_problem(host, read.get("mysql"), req.get("names") or {})
        if found:
            problems.append(found)
    return problems


def plan_params(req, read, component, available_versions, skip):
    """upgrade_plan's arguments for one release of a cluster as read."""
    settings = req.get("plan") or {}
    release = read["releases"][component]
    params = {
        "component": component,
        "current_chart": release.get("chart"),
        "status": release.get("status") or None,
        "target_version": str(settings["target_version"]),
        "ui_version": (settings.get("ui_version") or None) if component == "skoala" else None,
        "current_image_tags": release.get("image_tags"),
        "available_versions": (available_versions or {}).get(component),
        "allow_downgrade": boolean(settings.get("allow_downgrade") or False),
        "recover_pending": boolean(settings.get("recover_pending") or False),
        "namespace": settings.get("namespace") or versions.NAMESPACE,
        "unfinished": (read.get("unfinished") or {}).get(component),
        "upgrade_path_extra": settings.get("upgrade_path_extra") or [],
        "steps_skip": settings.get("steps_skip") or [],
        "kubernetes_version": None if "kubernetes_version" in skip else (read.get("kubernetes_version") or None),
        "ghippo_version": (read.get("ghippo") or {}).get("version") or None,
        # For the commands a refusal gives (helm rollback --kubeconfig ...).
        "kubeconfig": (req.get("read") or {}).get("kubeconfig") or None,
        "context": (req.get("read") or {}).get("context") or None,
    }
    return params


def cluster_plans(req, read, available_versions, builtin):
    """The plans of a cluster's releases (warnings included), or raises
    VersionError / UpgradePathError."""
    names = req.get("names") or {}
    skip = (req.get("plan") or {}).get("preflight_skip") or []
    warnings = fleet_plans.cluster_warnings(read, names.get("namespace"), names.get("insight_namespace"),
                                            names.get("insight_release"))
    plans = [plan_utils.run(plan_params(req, read, c, available_versions, skip), builtin)
             for c in req.get("components") or []]
    return fleet_plans.with_warnings(plans, warnings)


def image_registry(req, offline):
    """The cluster's ``global.imageRegistry``: the operator's, or for an
    offline upgrade the one its bundle's check found (bundle.image_registry)."""
    settings = req.get("image_registry") or {}
    if settings.get("source") != "offline":
        return settings.get("given") or ""
    return bundle.image_registry(settings.get("given"), offline, settings.get("registry") or "",
                                 settings.get("repository") or "") or ""


def fleet(requests, reads, available_versions=None, offline=None, builtin=None):
    """The plans of every cluster read without a problem.

    ``reads``: cluster -> cluster_read's result. ``available_versions``:
    component -> chart versions the repository or bundle offers (None: not
    checked). ``offline``: what the offline bundle's check kept (None without
    a bundle). Returns, per cluster read: ``plans`` (its plans, warnings
    included), ``releases`` (as read) and ``image_registries``; and
    ``problems`` (inputs that made a plan impossible, each naming the cluster)."""
    builtin = builtin or upgrade_path.load_builtin()
    out = {"plans": {}, "releases": {}, "image_registries": {}, "problems": []}
    for req in requests:
        host = req["cluster"]
        read = reads.get(host) or {}
        if read.get("problem") or "releases" not in read:
            continue
        out["releases"][host] = read["releases"]
        out["image_registries"][host] = image_registry(req, offline)
        try:
            out["plans"][host] = cluster_plans(req, read, available_versions, builtin)
        except (versions.VersionError, upgrade_path.UpgradePathError) as exc:
            out["problems"].append("%s: %s" % (host, exc))
    return out


def _version_tuple(text):
    parts = []
    core = str(text).lstrip("v").split("+", maxsplit=1)[0].split("-", maxsplit=1)[0]
    for part in core.split("."):
        if not part.isdigit():
            return None
        parts.append(int(part))
    return tuple(parts) if parts else None


def machine_problems(results, min_version):
    """What fleet_state read of each machine (its looped results, ``item``
    naming the machine): a message where helm is missing or older than
    ``min_version``, and for each directory of the run that exists but is
    not a writable directory."""
    problems = []
    minimum = _version_tuple(min_version)
    for res in results or []:
        if res.get("skipped"):
            continue
        machine = res.get("item")
        helm = res.get("helm")
        if helm:
            found = helm.get("version") or ""
            version = _version_tuple(found) if helm.get("rc") == 0 else None
            if version is None or minimum is None or version < minimum:
                why = (": " + helm["msg"]) if helm.get("msg") and helm.get("rc") not in (0, None) else ""
                problems.append("%s: helm %s (%s%s); install helm >= %s or point skoala_helm_binary at it."
                                % (machine, found or "not found", helm.get("binary") or "helm", why, min_version))
        for name, state in sorted((res.get("directories") or {}).items()):
            if not state.get("exists") or (state.get("isdir") and state.get("writeable")):
                continue
            problems.append("%s (%s) %s (read from %s); point it at a directory the backups and reports can be "
                            "written to." % (state.get("path"), name,
                                             "is not a directory" if not state.get("isdir") else "is not writable",
                                             machine))
    return problems
