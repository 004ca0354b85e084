# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Backups of the releases' values: how they are named, which one is the
newest of a release on a cluster, and what a rollback to it would do.

One backup is two files in ``<backup_dir>/<cluster>/``::

    <release>_<run id>_rev<N>.values.yaml   the user-supplied values (secret)
    <release>_<run id>_rev<N>.meta.yaml     cluster, release, revision, chart, time...

Helm release names and run ids never hold ``_``, so the release part of a
name is matched exactly: ``skoala_...`` is never ``skoala-init_...``. Files
of the older format ``<release>-<run id>-rev<N>`` are read by their content.

Pure functions: the module ``dce5.skoala.backup_info`` feeds them what it
read, the filter plugin ``dce5.skoala.skoala`` exposes the naming to roles.
Values are never read here, only written (``backup_files``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re

try:
    import yaml
except ImportError:  # the controller always has it (ansible-core); targets that run kubernetes.core too
    yaml = None

from ansible_collections.dce5.skoala.plugins.module_utils import plain_text, releases, versions
from ansible_collections.dce5.skoala.plugins.module_utils.secrets import mask_dsn_passwords

VALUES_SUFFIX = ".values.yaml"
META_SUFFIX = ".meta.yaml"
NAME = re.compile(r"^(?P<release>[^_/]+)_(?P<run_id>[^_/]+)_rev(?P<revision>[0-9]+)\.meta\.yaml$")
OLD_NAME = re.compile(r"^(?P<stem>[^_/]+)-rev(?P<revision>[0-9]+)\.meta\.yaml$")
REQUIRED = ("release", "cluster", "namespace", "revision", "chart", "values_file", "time", "run_id")
# Meta files are a few hundred bytes; anything far larger is not one.
META_MAX_BYTES = 64 * 1024
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


# --- naming and writing ------------------------------------------------------

def backup_name(backup_dir, cluster, release, run_id, revision):
    """The files of the backup of ``release`` at ``revision`` taken by run
    ``run_id`` on ``cluster``: ``directory``, ``values_file`` and
    ``meta_file`` (full paths), ``values_name`` and ``meta_name``."""
    for what, part in (("release", release), ("run id", run_id), ("cluster", cluster)):
        if not part or "/" in str(part) or (what != "cluster" and "_" in str(part)):
            raise ValueError("%s %r cannot name a backup" % (what, part))
    if isinstance(revision, bool) or not re.match(r"^[0-9]+$", str(revision)):
        raise ValueError("revision %r cannot name a backup" % (revision,))
    directory = "%s/%s" % (str(backup_dir).rstrip("/") or "/", cluster)
    stem = "%s_%s_rev%d" % (release, run_id, int(revision))
    return {"directory": directory,
            "values_name": stem + VALUES_SUFFIX, "meta_name": stem + META_SUFFIX,
            "values_file": "%s/%s%s" % (directory, stem, VALUES_SUFFIX),
            "meta_file": "%s/%s%s" % (directory, stem, META_SUFFIX)}


def backup_files(helm_info_results, backup_dir, cluster, run_id):
    """What to write for each release read by helm_info (loop items: plans).

    Returns ``{"values": [...], "meta": [...]}``: the values entries (path and
    rendered YAML, secret) and the metadata entries (path and fields, not
    secret) are separate lists, so a task looping over metadata can never
    print values (Ansible shows each loop item at -v)."""
    values, metas = [], []
    for r in helm_info_results:
        status = r.get("status") or {}
        plan = r["item"]
        revision = status.get("revision")
        name = backup_name(backup_dir, cluster, plan["release"], run_id, revision)
        values.append({
            "component": plan["component"],
            "values_file": name["values_file"],
            "values": status.get("values") or {},
            # Rendered here, so the task writing it templates a plain string
            # and can never echo the values in a templating error.
            "content": yaml.safe_dump(status.get("values") or {}, default_flow_style=False, sort_keys=True),
        })
        metas.append({
            "component": plan["component"],
            "values_file": name["values_file"],
            "meta_file": name["meta_file"],
            "meta": {
                "cluster": cluster,
                "release": plan["release"],
                "component": plan["component"],
                "namespace": plan["namespace"],
                "revision": int(revision),
                "chart": status.get("chart"),
                "chart_version": plan["current"],
                "app_version": status.get("app_version"),
                "status": status.get("status"),
                "target_version": plan["target"],
                "run_id": run_id,
                "values_file": name["values_name"],
            },
        })
    return {"values": values, "meta": metas}


def backup_private_files(files, time):
    """The values and metadata files of ``backup_files`` as name/content
    pairs for the private_files module (one call writes them all), values
    first: a metadata file never names values that are not there yet."""
    out = [{"name": v["values_file"].rsplit("/", 1)[-1], "content": v["content"]} for v in files["values"]]
    for m in files["meta"]:
        # Through JSON: Ansible's tagged strings are not plain str for yaml.safe_dump.
        meta = json.loads(json.dumps(dict(m["meta"], time=time)))
        out.append({"name": m["meta_file"].rsplit("/", 1)[-1],
                    "content": yaml.safe_dump(meta, default_flow_style=False, sort_keys=True)})
    return out


def backup_values_by_component(values_entries):
    """component -> the values backed up (kept in memory for check mode)."""
    return {v["component"]: v["values"] for v in values_entries}


def backup_index(metas):
    """component -> {values_file, meta_file, revision} (no values)."""
    return {m["component"]: {"values_file": m["values_file"], "meta_file": m["meta_file"],
                             "revision": m["meta"]["revision"]} for m in metas}


# --- finding the newest backup -----------------------------------------------

def _text_time(value):
    """The meta's time as sortable text (YAML turns an unquoted time into a datetime)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.strftime(TIME_FORMAT)
    return value if isinstance(value, str) and value.strip() else None


def _is_whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def read_meta(text):
    """(meta, None) for the text of a metadata file, or (None, what is wrong)."""
    if text is None:
        return None, "cannot be read"
    if len(text) > META_MAX_BYTES:
        return None, "is %d bytes, far too large for backup metadata" % len(text)
    try:
        meta = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = " (line %d)" % (mark.line + 1) if mark is not None else ""
        return None, "is not valid YAML%s, likely cut short" % where
    if not isinstance(meta, dict):
        return None, "is %s, not backup metadata" % ("empty" if meta is None else "not a mapping")
    missing = [k for k in REQUIRED if meta.get(k) in (None, "")]
    if missing:
        return None, "lacks %s, likely cut short or edited" % ", ".join(missing)
    if not _is_whole(meta["revision"]) or meta["revision"] < 1:
        return None, "has revision %r, not a whole number above 0" % (meta["revision"],)
    for key in ("release", "cluster", "namespace", "chart", "values_file", "run_id"):
        if not isinstance(meta[key], str):
            return None, "has %s %r, not text" % (key, meta[key])
    if "/" in meta["values_file"]:
        return None, "has values_file %r, not a file name" % meta["values_file"]
    if _text_time(meta["time"]) is None:
        return None, "has time %r, not a time" % (meta["time"],)
    meta = dict(meta, time=_text_time(meta["time"]))
    return meta, None


def _old_name_is_release(name, release):
    """Whether an older-format name ``<release>-<run id>-rev<N>`` is of
    ``release``. Release names hold ``-`` too (``skoala`` is a prefix of
    ``skoala-init``): a known release with a longer name that also prefixes
    it takes it."""
    if not name.startswith(release + "-"):
        return False
    longer = [r for r in versions.COMPONENTS if len(r) > len(release) and r.startswith(release + "-")]
    return not any(name.startswith(r + "-") for r in longer)


def _fix_bad_file(directory):
    return ("restore it from a copy, or move it (with its values file) out of %s; rollback then uses the newest "
            "other backup of the release there, so check that one is the revision you want" % directory)


def read_directory(directory):
    """The backup directory of a cluster as newest_backup reads it: (exists,
    every file name, name -> text of each metadata file, or None)."""
    if not os.path.isdir(directory):
        return False, [], {}
    names = os.listdir(directory)
    metas = {}
    for name in names:
        if not name.endswith(META_SUFFIX):
            continue
        try:
            with open(os.path.join(directory, name), "rb") as f:
                metas[name] = f.read(META_MAX_BYTES + 1).decode("utf-8")
        except (OSError, IOError, UnicodeDecodeError):
            metas[name] = None
    return True, names, metas


def newest_backup(cluster, release, directory, metas, names, exists=True):
    """The newest backup of ``release`` on ``cluster`` in ``directory``.

    ``metas``: file name -> text of every ``*.meta.yaml`` file there (None
    when it could not be read); ``names``: every file name there (to see the
    values files, which are never read). Returns ``backup`` (the meta with
    ``meta_file`` and ``values_file`` as full paths; None when there is
    none), ``problems`` (one message per unusable file of the release, each
    naming the cluster, the file and the fix), ``ignored`` (files of
    other releases or clusters) and ``exists`` (whether the directory does).

    Newest: the meta's time, then run id, then revision."""
    candidates, problems, ignored = [], [], []
    names = set(names or [])
    for name in sorted(metas or {}):
        path = "%s/%s" % (directory, name)
        new = NAME.match(name)
        if new:
            ours_by_name = new.group("release") == release
        elif OLD_NAME.match(name):
            ours_by_name = None  # decided by the content; by the name only when unreadable
        else:
            ignored.append(name)
            continue
        if new and not ours_by_name:
            ignored.append(name)
            continue
        meta, what = read_meta(metas[name])
        if meta is None:
            if ours_by_name or (ours_by_name is None and _old_name_is_release(name, release)):
                problems.append("%s: backup metadata %s %s; %s." % (cluster, path, what, _fix_bad_file(directory)))
            else:
                ignored.append(name)
            continue
        if meta["release"] != release:
            if ours_by_name:
                problems.append(
                    "%s: backup metadata %s is named for release %s but records release %s (renamed or edited); "
                    "rename it to match its content, or move it out of %s." % (
                        cluster, path, release, meta["release"], directory))
            else:
                ignored.append(name)
            continue
        if meta["cluster"] != cluster:
            ignored.append(name)  # another cluster's backup, copied here
            continue
        if meta["values_file"] not in names:
            problems.append(
                "%s: backup metadata %s names the values file %s, which is not in %s; restore the values file "
                "next to it (it is the only copy of the values the release had), or move the metadata file out "
                "of %s to use the newest other backup." % (
                    cluster, path, meta["values_file"], directory, directory))
            continue
        candidates.append(dict(meta, meta_file=path, values_file="%s/%s" % (directory, meta["values_file"])))
    candidates.sort(key=lambda m: (m["time"], m["run_id"], m["revision"]))
    return {"backup": candidates[-1] if candidates else None, "problems": problems, "ignored": ignored,
            "exists": exists}


# --- Helm's history, from its release Secrets --------------------------------

def history_entry(secret):
    """revision, chart (name-version) and status of one Helm release Secret;
    the values and manifest in it are dropped here."""
    labels = (secret.get("metadata") or {}).get("labels") or {}
    entry = {"revision": int(labels["version"]) if str(labels.get("version", "")).isdigit() else None,
             "chart": None, "status": labels.get("status")}
    try:
        record = releases.decode_release(((secret.get("data") or {}).get("release")) or "")
    except (ValueError, TypeError, OSError, EOFError, UnicodeDecodeError):
        return entry
    chart = ((record.get("chart") or {}).get("metadata") or {})
    if chart.get("name") and chart.get("version"):
        entry["chart"] = "%s-%s" % (chart["name"], chart["version"])
    if _is_whole(record.get("version")):
        entry["revision"] = record["version"]
    entry["status"] = (record.get("info") or {}).get("status") or entry["status"]
    return entry


def helm_history(secrets):
    """[{revision, chart, status}] of a release's Secrets, oldest first."""
    entries = [history_entry(s) for s in secrets or []]
    return sorted((e for e in entries if e["revision"] is not None), key=lambda e: e["revision"])


# --- the decision ------------------------------------------------------------

def _revisions(history):
    numbers = [e["revision"] for e in history]
    if not numbers:
        return "none"
    return str(numbers[0]) if len(numbers) == 1 else "%d-%d" % (numbers[0], numbers[-1])


def _reinstall_fix(backup, kubeconfig, context):
    version = versions.chart_version(backup["chart"], backup.get("component") or backup["release"]) \
        if backup.get("component") in versions.COMPONENTS else None
    name = backup.get("component") or backup["release"]
    command = "helm upgrade --install %s <repo>/%s%s -n %s -f %s%s%s" % (
        backup["release"], name, " --version %s" % version if version else "", backup["namespace"],
        backup["values_file"], " --kubeconfig %s" % kubeconfig if kubeconfig else "",
        " --kube-context %s" % context if context else "")
    return ("to return to it, install that chart with the backed-up values yourself (%s), or leave %s out with "
            "skoala_rollback_components" % (command, backup["release"]))


def _label(entry):
    return "rev %s %s (%s)" % (entry["revision"], entry.get("chart") or "?", entry.get("status") or "?")


def decide(cluster, release, component, namespace, directory, found, history, unreachable=None,
           kubeconfig=None, context=None):
    """What rollback does with ``release`` on ``cluster``.

    ``found``: ``newest_backup``'s answer; ``history``: ``helm_history``'s
    (None when the cluster did not answer, with ``unreachable`` saying why).
    Returns ``decision`` (``rollback``, ``none`` or ``problem``), ``problem``
    (the operator's message: cluster, file, fix), ``revision_kept``,
    ``current`` (Helm's newest revision), and ``rollback``: what the roll
    back task needs and the fleet table shows (never any values)."""
    backup = found.get("backup")
    problems = list(found.get("problems") or [])
    if backup is None and not problems:
        problems.append(
            "%s: no backup of release %s in %s%s; set skoala_backup_dir to the directory upgrade.yml "
            "(or the role dce5.skoala.backup_values) wrote its "
            "backups to (it holds one directory per cluster), or leave this cluster out with --limit '!%s' "
            "(upgrade.yml backs up only releases it changes)."
            % (cluster, release, directory, "" if found.get("exists", True) else " (no such directory)", cluster))
    if unreachable:
        problems.append("%s: %s" % (cluster, unreachable) if not unreachable.startswith(cluster + ":")
                        else unreachable)
    history = history or []
    current = history[-1] if history else None
    kept = None
    if backup is not None and not unreachable:
        at_revision = [e for e in history if e["revision"] == backup["revision"]]
        kept = bool(at_revision) and at_revision[0]["chart"] == backup["chart"]
    already = bool(backup and current and current["status"] == "deployed" and current["chart"] == backup["chart"])
    if backup is not None and not unreachable and not problems and not already:
        if current is None:
            problems.append(
                "%s: release %s is not installed in %s (Helm has no history of it), so it cannot be rolled back to "
                "revision %d of backup %s; %s." % (
                    cluster, release, namespace, backup["revision"], backup["meta_file"],
                    _reinstall_fix(backup, kubeconfig, context)))
        elif not kept:
            at_revision = [e for e in history if e["revision"] == backup["revision"]]
            why = ("Helm no longer keeps revision %d (it keeps %s; helm upgrade --history-max drops the oldest)"
                   % (backup["revision"], _revisions(history))) if not at_revision else \
                ("revision %d is now %s, not %s: the release was uninstalled and installed again since the backup"
                 % (backup["revision"], at_revision[0]["chart"] or "another chart", backup["chart"]))
            problems.append(
                "%s: backup %s records %s revision %d (%s), but %s, so helm rollback cannot return to it; %s."
                % (cluster, backup["meta_file"], release, backup["revision"], backup["chart"], why,
                   _reinstall_fix(backup, kubeconfig, context)))
    if problems:
        decision = "problem"
    else:
        decision = "none" if already else "rollback"
    return {
        "decision": decision,
        "problem": " ".join(problems) or None,
        "problems": problems,
        "revision_kept": kept,
        "current": current,
        "rollback": {
            "cluster": cluster,
            "release": release,
            "component": component,
            "namespace": namespace,
            "decision": decision,
            "revision": backup["revision"] if backup else None,
            "chart": backup["chart"] if backup else None,
            "from": _label(current) if current else "-",
            "to": "rev %s %s" % (backup["revision"], backup["chart"]) if backup else "-",
            "backup": backup["meta_file"] if backup else "-",
            # The admission Jobs' pod template changes with every version and
            # Kubernetes will not patch it: they go before helm rollback too.
            "jobs": list(versions.ADMISSION_JOBS) if component == "skoala-init" and decision == "rollback" else [],
        },
    }


# --- what the roles run and show ---------------------------------------------

def rollback_argv(rollback, helm="helm", timeout=600, kubeconfig=None, context=None):
    """The ``helm rollback`` command line for a ``decide(...)['rollback']``."""
    argv = [helm, "rollback", rollback["release"], str(int(rollback["revision"])), "-n", rollback["namespace"],
            "--wait", "--timeout", "%ss" % int(timeout)]
    if kubeconfig:
        argv += ["--kubeconfig", kubeconfig]
    if context:
        argv += ["--kube-context", context]
    return argv


def rollback_failure(rollback, rc, stderr, kubeconfig=None):
    """The message for a failed ``helm rollback``: helm's own words (DSN
    passwords masked, cut to 600 characters) and what to do."""
    error = plain_text.one_line(mask_dsn_passwords(stderr), 600) or "no output"
    return ("%s: helm rollback of %s to revision %s (%s) failed (exit %s): %s. See where it stands with "
            "helm history %s -n %s%s, fix the cause and run rollback.yml again (releases already rolled back "
            "are left alone)." % (rollback["cluster"], rollback["release"], rollback["revision"], rollback["chart"],
                                  rc, error, rollback["release"], rollback["namespace"],
                                  " --kubeconfig %s" % kubeconfig if kubeconfig else ""))


ROLLBACK_COLUMNS = ("cluster", "release", "decision", "from", "to", "backup")


def rollback_rows(checks):
    """Table rows from the hosts' lists of ``rollback`` entries, control plane (skoala) first."""
    flat = [c for host_checks in checks or [] for c in (host_checks or [])]
    flat.sort(key=lambda c: (c["component"] != "skoala", c["cluster"], c["release"]))
    # The file name: the directory is <backup dir>/<cluster>, and full paths made the rows unreadable.
    return [dict({k: c[k] for k in ROLLBACK_COLUMNS}, backup=c["backup"].rsplit("/", 1)[-1]) for c in flat]


def rollback_table(checks):
    """The fleet's rollback as text lines (what debug prints well)."""
    return plain_text.table(rollback_rows(checks), ROLLBACK_COLUMNS)
