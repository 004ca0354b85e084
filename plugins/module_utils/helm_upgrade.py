# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""One ``helm upgrade --install`` whose plan is already made.

kubernetes.core.helm decides for itself whether a release would change: it
lists the release, reads its values, fetches the chart's metadata, renders a
helm-diff, then upgrades, lists and reads again; eight helm processes for one
upgrade. Preflight has already planned each release (the upgrade runs only
when the plan says so), so the helm_upgrade module runs helm once and reads
the release from helm's own JSON output. Measured on the sandbox: 0.35 s of
CPU for helm upgrade alone, 3.3 s for kubernetes.core.helm without the diff
and 4.5 s with it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile
import threading

try:
    import yaml
except ImportError:  # pragma: no cover - ansible-core requires PyYAML
    yaml = None

from ansible_collections.dce5.skoala.plugins.module_utils import cluster_read, images


def set_args(set_values):
    """kubernetes.core.helm's ``set_values`` (C(value), C(value_type)) as helm arguments."""
    flags = {"raw": "--set", "string": "--set-string", "json": "--set-json", "file": "--set-file",
             "literal": "--set-literal"}
    args = []
    for item in set_values or []:
        value_type = item.get("value_type") or "raw"
        if value_type not in flags:
            raise ValueError("set_values: value_type %r is not one of %s" % (value_type, ", ".join(sorted(flags))))
        args += [flags[value_type], item["value"]]
    return args


def upgrade_argv(params, extra_values_file=None):
    """The command line: the same flags kubernetes.core.helm passes for the
    options the roles use, plus ``--output json`` for the release."""
    argv = [params.get("binary_path") or "helm", "upgrade", "--install", params["release_name"], params["chart_ref"],
            "--namespace", params["release_namespace"], "--output", "json"]
    if params.get("chart_version"):
        argv += ["--version", params["chart_version"]]
    if params.get("reset_values"):
        argv.append("--reset-values")
    if params.get("wait"):
        argv.append("--wait")
        if params.get("wait_timeout"):
            argv += ["--timeout", params["wait_timeout"]]
    if params.get("atomic"):
        argv.append("--atomic")
    if params.get("create_namespace"):
        argv.append("--create-namespace")
    for path in params.get("values_files") or []:
        argv += ["--values", path]
    if extra_values_file:
        argv += ["--values", extra_values_file]
    argv += set_args(params.get("set_values"))
    if params.get("kubeconfig"):
        argv += ["--kubeconfig", params["kubeconfig"]]
    if params.get("context"):
        argv += ["--kube-context", params["context"]]
    return argv


def release_status(output):
    """helm's JSON release as kubernetes.core.helm returns a release
    (``status``: the fields of ``helm list`` plus the user-supplied values),
    so everything that reads one reads the other."""
    release = json.loads(output)
    info = release.get("info") or {}
    metadata = (release.get("chart") or {}).get("metadata") or {}
    return {
        "name": release.get("name"),
        "namespace": release.get("namespace"),
        "revision": str(release.get("version")),
        # helm list prints its own date format; both name the same instant.
        "updated": info.get("last_deployed"),
        "last_deployed": info.get("last_deployed"),
        "status": info.get("status"),
        "chart": "%s-%s" % (metadata.get("name"), metadata.get("version")),
        "app_version": metadata.get("appVersion"),
        "values": release.get("config") or {},
    }


def failure_message(rc, out, err):
    """kubernetes.core.helm's words for a failed helm command, so a failure
    reads the same whichever module ran helm."""
    return "Failure when executing Helm command. Exited {0}.\nstdout: {1}\nstderr: {2}".format(rc, out, err)


# The options of one upgrade: the helm_upgrade module's, and one cluster's
# entry of fleet_helm_upgrade's ``clusters`` (with ``cluster``).
UPGRADE_OPTIONS = dict(
    kubeconfig=dict(type="path", required=True, no_log=False),
    context=dict(type="str"),
    binary_path=dict(type="path", default="helm"),
    release_name=dict(type="str", required=True),
    release_namespace=dict(type="str", required=True),
    chart_ref=dict(type="str", required=True),
    chart_version=dict(type="str"),
    values_files=dict(type="list", elements="path", default=[]),
    # Not no_log: Ansible would then mask every equal string in the
    # result, the revision "2" too when a value is 2. The task is no_log.
    release_values=dict(type="dict", default={}),
    set_values=dict(type="list", elements="dict", default=[]),
    reset_values=dict(type="bool", default=False),
    create_namespace=dict(type="bool", default=False),
    atomic=dict(type="bool", default=False),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="str"),
)
REQUEST_OPTIONS = dict(cluster=dict(type="str", required=True), **UPGRADE_OPTIONS)


def upgrade(params, run_command, values_file, check_mode=False):
    """One upgrade: ``failed``, ``msg`` (helm's failure in kubernetes.core.helm's
    words), ``status`` (the release read from helm's output) and ``command``.
    ``run_command(argv)`` returns (rc, out, err); ``values_file(values)`` writes
    the extra values to a private file and returns its path."""
    result = {"failed": False, "msg": "", "status": {}, "command": []}
    try:
        set_args(params.get("set_values"))
    except (ValueError, KeyError) as exc:
        result.update(failed=True, msg="set_values: %s" % exc)
        return result
    if check_mode:
        result["command"] = upgrade_argv(params)
        return result
    extra = values_file(params["release_values"]) if params.get("release_values") else None
    argv = result["command"] = upgrade_argv(params, extra)
    rc, out, err = run_command(argv)
    result["stderr"] = err
    if rc != 0:
        result.update(failed=True, msg=failure_message(rc, out, err), stdout=out)
        return result
    try:
        result["status"] = release_status(out)
    except ValueError as exc:
        result.update(failed=True, msg="helm upgrade succeeded but its output is not JSON (%s): %s" % (exc, out[:300]))
    return result


def batch_entry(result):
    """One cluster's entry of fleet_helm_upgrade's result: upgrade's, without
    the release's values and helm's output on success. The entry is
    registered on every host of the batch, and Ansible copies each host's
    variables for every task it runs there: at 16 clusters the full entries
    made each task after the upgrade cost seconds."""
    entry = {k: v for k, v in result.items() if k not in ("stdout", "stderr") or result["failed"]}
    entry["status"] = {k: v for k, v in (result.get("status") or {}).items() if k != "values"}
    return entry


def from_batch(batch_run, host):
    """``host``'s upgrade from its batch's fleet_helm_upgrade run, shaped as
    helm_upgrade's own result (``changed``; ``failed`` and ``msg`` when it
    failed), or None when the batch did not upgrade it (no batch, check
    mode, a used-alone role): then helm_upgrade runs helm itself."""
    entry = result_of(batch_run, host)
    if entry is None:
        return None
    if entry.get("failed"):
        return dict(entry)
    result = {k: v for k, v in entry.items() if k not in ("failed", "msg")}
    result["changed"] = True
    return result


def request_of(plan, settings):
    """The helm upgrade of ``plan``'s release: helm_upgrade's options, from
    the plan and upgrade_release's ``settings`` (by name: chart_ref,
    chart_local, values_file, extra_values, image_registry, atomic, timeout,
    binary, kubeconfig, context). Both the helm_upgrade task and the batch's
    fleet_helm_upgrade run it, so they cannot differ."""
    return {
        "kubeconfig": settings["kubeconfig"],
        "context": settings.get("context") or None,
        "binary_path": settings.get("binary") or "helm",
        "release_name": plan["release"],
        "release_namespace": plan["namespace"],
        "chart_ref": settings["chart_ref"],
        # A local chart (offline bundle, unpacked directory) has no --version.
        "chart_version": None if settings.get("chart_local") else plan["target"],
        "create_namespace": True,
        # The backed-up values are given explicitly (-f), as the vendor's
        # procedure does; --reset-values keeps stale values of the old
        # release from leaking in through Helm's reuse logic.
        "reset_values": True,
        "values_files": [settings["values_file"]] if settings.get("values_file") else [],
        "release_values": settings.get("extra_values") or {},
        "set_values": images.set_values(plan.get("image_tags") or {}, settings.get("image_registry") or ""),
        # Helm's --atomic rolls back with a patch that Kubernetes refuses for
        # skoala-init's admission Jobs; upgrade_release's rescue rolls an
        # upgrade back itself, Jobs deleted first. A failed install is still helm's to undo.
        "atomic": bool(settings.get("atomic")) and plan.get("action") == "install",
        "wait": True,
        "wait_timeout": "%ss" % settings["timeout"],
    }


def requests_of(hosts, all_host_vars, component):
    """fleet_helm_upgrade's ``clusters`` for ``hosts``: each one whose
    current plan (upgrade_release's ``skoala_plan``) installs or upgrades
    ``component``, with the request upgrade_release noted for it at the start
    (``skoala_helm_request``). A host without one is left to its own task."""
    out = []
    for host in hosts:
        host_vars = all_host_vars[host]
        plan = host_vars.get("skoala_plan") or {}
        noted = host_vars.get("skoala_helm_request") or {}
        if plan.get("component") != component or plan.get("action") not in ("install", "upgrade"):
            continue
        if noted.get("component") != component or noted.get("target") != plan.get("target"):
            continue
        out.append(dict(noted["request"], cluster=host))
    return out


def noted_request(plan, settings):
    """What upgrade_release notes at a release's start for the batch:
    request_of's request, with the component and target it is for."""
    return {"component": plan["component"], "target": plan["target"], "request": request_of(plan, settings)}


# This host's result from fleet_helm_upgrade's looped runs (cluster_read says how).
result_of = cluster_read.result_of


def write_values_file(directory, values):
    """The extra values in a private temporary file in ``directory``
    (mkstemp's mode is 0600); the caller removes it. Its path."""
    fd, path = tempfile.mkstemp(suffix=".values.yaml", dir=directory)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump(values, handle, default_flow_style=False)
    return path


def write_progress(path, done):
    """The batch's clusters done so far (cluster -> ``failed``, ``seconds``),
    for fleet_helm_upgrade's action plugin to print while helm waits; written
    whole and renamed, so a reader never sees half a file. No values in it."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(done, handle)
    os.replace(tmp, path)


def read_progress(path):
    """write_progress's clusters, {} while there is nothing (yet) to read."""
    try:
        with open(path) as handle:
            return json.load(handle) or {}
    except (OSError, ValueError):
        return {}


def with_progress(work, path, clock):
    """``work(request)`` that also records, in ``path``, each cluster it
    finishes (threads share the record under a lock)."""
    lock = threading.Lock()
    done = {}

    def run(request):
        started = clock()
        result = work(request)
        with lock:
            done[request["cluster"]] = {"failed": bool(result.get("failed")), "seconds": round(clock() - started, 1)}
            write_progress(path, done)
        return result
    return run


def progress_lines(clusters, done, shown, elapsed, label):
    """What the operator reads while the batch's helm waits: a line per
    cluster newly done (not in ``shown``) and how many of how many are done."""
    lines = []
    for cluster in clusters:
        if cluster in done and cluster not in shown:
            entry = done[cluster]
            seconds = entry.get("seconds")
            lines.append("[%s] %s: helm upgrade %s%s" % (
                cluster, label, "failed" if entry.get("failed") else "done",
                "" if seconds is None else " (%ss)" % seconds))
    waiting = [c for c in clusters if c not in done]
    summary = "%d/%d clusters' helm upgrades done" % (len(clusters) - len(waiting), len(clusters))
    if waiting:
        summary += "; helm waits for %s" % ", ".join(waiting)
    lines.append("%s (%ds)" % (summary, elapsed))
    return lines
