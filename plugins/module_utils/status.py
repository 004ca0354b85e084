# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The read-only fleet status (playbooks/status.yml): what each cluster runs,
what is wrong with the fleet as a whole (findings), the document written for
CI (JSON), Markdown for people, a plain table for the screen, and whether
the run should fail.

Pure functions over what ``cluster_read.read_fleet`` returned. Values are
never seen here: ``value_changes`` runs where the values are read (in the
module that reads the cluster and the backup) and only the keys that
differ reach the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

from ansible_collections.dce5.skoala.plugins.module_utils import fleet_plans, plain_text, versions

SCHEMA_VERSION = 1
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
COLUMNS = ("cluster", "component", "chart", "app", "state", "rev", "deployed", "images", "backup", "kubernetes")
PLAN_COLUMNS = fleet_plans.TABLE_COLUMNS

# Finding kinds that make the fleet not converged (the run fails), and those that are only shown.
ERRORS = ("unreachable", "skew", "stuck", "failed", "missing_release")
WARNINGS = ("values_changed", "image_tags", "backup_problem", "unfinished")
KINDS = ERRORS + WARNINGS


# --- values: keys only -------------------------------------------------------

def _leaves(node, prefix=""):
    """path -> leaf of nested values: maps by ``.``, lists by ``[i]``; an
    empty map or list is a leaf of its own."""
    out = {}
    if isinstance(node, dict) and node:
        for key, value in node.items():
            out.update(_leaves(value, "%s.%s" % (prefix, key) if prefix else str(key)))
    elif isinstance(node, (list, tuple)) and node:
        for i, value in enumerate(node):
            out.update(_leaves(value, "%s[%d]" % (prefix, i)))
    else:
        out[prefix] = node
    return out


def value_changes(before, after):
    """The keys (dotted paths, never the values) that were ``added``,
    ``removed`` or ``changed`` from ``before`` (the backup) to ``after``
    (the release now), each sorted."""
    old, new = _leaves(before or {}), _leaves(after or {})
    old.pop("", None)
    new.pop("", None)
    return {
        "added": sorted(k for k in new if k not in old),
        "removed": sorted(k for k in old if k not in new),
        "changed": sorted(k for k in new if k in old and new[k] != old[k]),
    }


def changed_key_count(changes):
    return sum(len((changes or {}).get(k) or []) for k in ("added", "removed", "changed"))


# --- time --------------------------------------------------------------------

def _parse_time(text):
    """A UTC time from a backup's meta (``2026-12-04T22:01:00Z``) or Helm's
    record (``2026-12-04T22:01:00.123456789Z``, or with an offset)."""
    if not isinstance(text, str) or len(text) < 19:
        return None
    head = text[:19]
    try:
        parsed = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    rest = text[19:].lstrip("0123456789.")
    if rest[:1] in ("+", "-") and len(rest) >= 6:
        try:
            sign = 1 if rest[0] == "+" else -1
            parsed -= sign * datetime.timedelta(hours=int(rest[1:3]), minutes=int(rest[4:6]))
        except ValueError:
            return None
    return parsed


def age_seconds(then, now):
    """Whole seconds from ``then`` to ``now`` (both texts); None when either is not a time."""
    a, b = _parse_time(then), _parse_time(now)
    if a is None or b is None:
        return None
    return int((b - a).total_seconds())


def age_text(seconds):
    if seconds is None:
        return "?"
    seconds = max(0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return "%d%s" % (seconds // size, unit)
    return "%ds" % seconds


def short_time(text):
    parsed = _parse_time(text)
    return parsed.strftime(TIME_FORMAT) if parsed else (text or None)


# --- rows --------------------------------------------------------------------

def image_check(component, version, tags):
    """The release's image tags against its chart version: ``expected``
    (key -> tag the chart version implies; the UI moves on its own and is
    not expected), ``mismatched`` (keys whose tag differs) and ``match``
    (None when nothing could be compared)."""
    tags = tags or {}
    try:
        expected = versions.image_tag_values(component, version) if version else {}
    except (versions.VersionError, ValueError):
        expected = {}
    compared = [k for k in expected if k in tags]
    mismatched = sorted(k for k in compared if str(tags[k]) != expected[k])
    return {"expected": expected, "mismatched": mismatched, "match": (not mismatched) if compared else None}


def _release_row(cluster, component, summary, backup_read, now):
    summary = summary or {}
    backup_read = backup_read or {}
    found = backup_read.get("backup")
    images = image_check(component, summary.get("version"), summary.get("image_tags"))
    backup = None
    if found:
        backup = {
            "meta_file": found.get("meta_file"),
            "values_file": found.get("values_file"),
            "time": found.get("time"),
            "age_seconds": age_seconds(found.get("time"), now),
            "revision": found.get("revision"),
            "chart": found.get("chart"),
            "run_id": found.get("run_id"),
        }
    return {
        "cluster": cluster,
        "component": component,
        "release": summary.get("release") or component,
        "installed": bool(summary.get("installed")),
        "chart": summary.get("chart") or None,
        "version": summary.get("version"),
        "app_version": summary.get("app_version"),
        "status": summary.get("status"),
        "revision": summary.get("revision"),
        "last_deployed": short_time(summary.get("last_deployed")),
        "image_tags": dict(summary.get("image_tags") or {}),
        "image_tags_expected": images["expected"],
        "image_tags_mismatched": images["mismatched"],
        "image_tags_match": images["match"],
        "backup": backup,
        "backup_problems": list(backup_read.get("problems") or []),
        # Keys only: the values are compared where they are read.
        "values_changed": backup_read.get("changes") if found else None,
    }


def rows(components):
    """Every (cluster, component) to report, control plane first, then by name."""
    order = sorted(components, key=lambda c: ("skoala" not in (components[c] or []), c))
    return [(c, comp) for c in order for comp in components[c] or []], order


# --- findings ----------------------------------------------------------------

def _finding(kind, message, cluster=None, component=None):
    return {"kind": kind, "severity": "error" if kind in ERRORS else "warning", "cluster": cluster,
            "component": component, "message": message}


def skew_finding(releases):
    """One finding when the installed skoala and skoala-init releases are
    not all at one version (the vendor: both are upgraded at the same time)."""
    by_version = {}
    for r in releases:
        if r["installed"] and r["version"]:
            by_version.setdefault(r["version"], []).append("%s/%s" % (r["cluster"], r["component"]))
    if len(by_version) < 2:
        return None
    ordered = sorted(by_version, key=_version_key)
    newest = ordered[-1]
    parts = ["%s on %s" % (v, ", ".join(by_version[v])) for v in ordered]
    return _finding("skew", "skoala and skoala-init are not at one version: %s. The vendor upgrades them at the same "
                            "time; bring the fleet to one version with upgrade.yml -e skoala_target_version=%s."
                    % ("; ".join(parts), newest))


def _version_key(text):
    try:
        v = versions.Version.parse(text)
        return (0, v.major, v.minor, v.patch, str(v))
    except (versions.VersionError, ValueError, AttributeError):
        return (1, 0, 0, 0, str(text))


def findings(doc_clusters, doc_releases):
    out = []
    for c in doc_clusters:
        if c["problem"]:
            out.append(_finding("unreachable", "%s is not read: %s" % (c["cluster"], c["problem"]), c["cluster"]))
    skew = skew_finding(doc_releases)
    if skew:
        out.append(skew)
    reachable = {c["cluster"] for c in doc_clusters if not c["problem"]}
    for r in doc_releases:
        where = "%s/%s" % (r["cluster"], r["component"])
        if r["cluster"] not in reachable:
            continue
        if not r["installed"]:
            role = "worker" if r["component"] == "skoala-init" else "control plane"
            out.append(_finding("missing_release", "%s: the %s has no %s release in %s; install it with "
                                                   "upgrade.yml (it installs a missing release at the target)."
                                % (r["cluster"], role, r["component"], r["namespace"]), r["cluster"], r["component"]))
            continue
        status = r["status"] or ""
        if status in versions.PENDING:
            out.append(_finding("stuck", "%s is stuck in %s (revision %s, %s): a run was interrupted, or one is "
                                         "running now; if none is, recover it with upgrade.yml -e "
                                         "skoala_recover_pending=true." % (where, status, r["revision"], r["chart"]),
                                r["cluster"], r["component"]))
        elif status == "failed":
            out.append(_finding("failed", "%s: the last upgrade failed (revision %s, %s); run upgrade.yml again "
                                          "or rollback.yml." % (where, r["revision"], r["chart"]),
                                r["cluster"], r["component"]))
        if r["image_tags_mismatched"]:
            out.append(_finding("image_tags", "%s: image tags differ from chart %s: %s." % (
                where, r["version"], ", ".join("%s=%s (expected %s)" % (k, r["image_tags"][k],
                                                                        r["image_tags_expected"][k])
                                               for k in r["image_tags_mismatched"])),
                r["cluster"], r["component"]))
        if r["values_changed"] and changed_key_count(r["values_changed"]):
            ch = r["values_changed"]
            parts = ["%s %s" % (what, ", ".join(ch[what])) for what in ("changed", "added", "removed") if ch[what]]
            out.append(_finding("values_changed", "%s: values differ from the newest backup (%s, %s): %s "
                                                  "(keys only; the values are not shown)."
                                % (where, r["backup"]["meta_file"], r["backup"]["time"], "; ".join(parts)),
                                r["cluster"], r["component"]))
        for problem in r["backup_problems"]:
            out.append(_finding("backup_problem", problem, r["cluster"], r["component"]))
        if r.get("unfinished"):
            out.append(_finding("unfinished", "%s: the run that took it to %s stopped before its steps after the "
                                              "chart; upgrade.yml finishes them." % (where, r["unfinished"]),
                                r["cluster"], r["component"]))
    return out


# --- the document ------------------------------------------------------------

def document(reads, components, run_id, now, target=None, plans=None, namespace=versions.NAMESPACE):
    """The status document.

    ``reads``: cluster -> what ``cluster_read.read_cluster`` returned (a
    cluster missing here was not read: unreachable); ``components``:
    cluster -> its releases (skoala_components); ``now``: the time of the
    read (``%Y-%m-%dT%H:%M:%SZ``); ``plans``: cluster -> the plans of its
    releases when a target was given."""
    reads = reads or {}
    pairs, order = rows(components)
    doc_clusters = []
    for cluster in order:
        read = reads.get(cluster) or {}
        problem = read.get("problem") if cluster in reads else (
            "%s: not read: the read on the machine it is reached from failed or did not run (ansible-playbook -v "
            "shows that task's result: 'Read the clusters, their releases and newest backups')" % cluster)
        doc_clusters.append({
            "cluster": cluster,
            "reachable": not problem,
            "problem": problem or None,
            "kubernetes_version": read.get("kubernetes_version"),
            "server": (read.get("kubeconfig") or {}).get("server"),
            "components": list(components[cluster] or []),
        })
    doc_releases = []
    for cluster, component in pairs:
        read = reads.get(cluster) or {}
        summary = (read.get("releases") or {}).get(component)
        row = _release_row(cluster, component, summary, (read.get("backups") or {}).get(component), now)
        row["namespace"] = namespace
        row["reachable"] = bool(cluster in reads and not read.get("problem"))
        row["kubernetes_version"] = read.get("kubernetes_version")
        unfinished = (read.get("unfinished") or {}).get(component)
        row["unfinished"] = (unfinished or {}).get("target") if isinstance(unfinished, dict) else None
        doc_releases.append(row)
    found = findings(doc_clusters, doc_releases)
    errors = [f for f in found if f["severity"] == "error"]
    counts = {}
    for f in found:
        counts[f["kind"]] = counts.get(f["kind"], 0) + 1
    plan_rows = None
    if target and plans is not None:
        plan_rows = fleet_plans.fleet_rows({c: plans.get(c) or [] for c in order if plans.get(c)})
        steps = {(c, p["component"]): p.get("steps") or [] for c in plans for p in plans.get(c) or []}
        for row in plan_rows:
            row["reason"] = next((p.get("reason") for p in plans.get(row["cluster"]) or []
                                  if p["component"] == row["component"]), "")
            row["step_list"] = [{"name": s["name"], "phase": s.get("phase"), "params": s.get("params") or {}}
                                for s in steps.get((row["cluster"], row["component"]), [])]
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "status",
        "run_id": run_id,
        "time": now,
        "target_version": target or None,
        "converged": not errors,
        "result": "converged" if not errors else "not converged",
        "counts": counts,
        "versions": sorted({r["version"] for r in doc_releases if r["installed"] and r["version"]},
                           key=_version_key),
        "clusters": doc_clusters,
        "releases": doc_releases,
        "findings": found,
        "plan": plan_rows,
    }


def plans_by_cluster(results):
    """cluster -> plans, from the results of the upgrade_plan task looped
    over ``[request, component]`` items (skipped items have no plan)."""
    out = {}
    for r in results or []:
        if r.get("plan"):
            out.setdefault(r["item"][0]["cluster"], []).append(r["plan"])
    return out


def exit_problems(doc):
    """The messages of the findings that make the run fail (an empty list: exit 0)."""
    return [f["message"] for f in doc.get("findings") or [] if f["severity"] == "error"]


# --- rendering -----------------------------------------------------------------

def _cells(r):
    backup = r["backup"]
    if backup:
        changed = changed_key_count(r["values_changed"])
        backup_cell = "%s ago%s" % (age_text(backup["age_seconds"]),
                                    ", %d key%s changed" % (changed, "" if changed == 1 else "s") if changed else "")
    else:
        backup_cell = "none"
    if r["image_tags_match"] is None:
        images = "-"
    else:
        names = ",".join(k.split(".")[0] for k in r["image_tags_mismatched"])
        images = "ok" if r["image_tags_match"] else "differ: " + names
    if not r["reachable"]:
        return {"cluster": r["cluster"], "component": r["component"], "chart": "?", "app": "?", "state": "unreachable",
                "rev": "?", "deployed": "?", "images": "?", "backup": backup_cell if backup else "?",
                "kubernetes": "?"}
    if not r["installed"]:
        return {"cluster": r["cluster"], "component": r["component"], "chart": "-", "app": "-",
                "state": "not installed", "rev": "-", "deployed": "-", "images": "-", "backup": backup_cell,
                "kubernetes": r["kubernetes_version"] or "?"}
    return {
        "cluster": r["cluster"], "component": r["component"], "chart": r["version"] or r["chart"] or "?",
        "app": r["app_version"] or "-", "state": r["status"] or "?", "rev": r["revision"] or "-",
        "deployed": r["last_deployed"] or "-", "images": images, "backup": backup_cell,
        "kubernetes": r["kubernetes_version"] or "?",
    }


def headline(doc):
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    warnings = [f for f in doc["findings"] if f["severity"] != "error"]
    return "fleet %s: %d cluster%s, version%s %s; %d error%s, %d warning%s" % (
        "converged" if doc["converged"] else "NOT converged", len(doc["clusters"]),
        "" if len(doc["clusters"]) == 1 else "s", "" if len(doc["versions"]) == 1 else "s",
        ", ".join(doc["versions"]) or "none", len(errors), "" if len(errors) == 1 else "s",
        len(warnings), "" if len(warnings) == 1 else "s")


def table(doc):
    """The screen: the release table, the findings, and the plan when a target was given."""
    lines = [headline(doc), ""]
    lines += plain_text.table([_cells(r) for r in doc["releases"]], COLUMNS)
    lines.append("")
    if doc["findings"]:
        lines.append("FINDINGS")
        lines += ["%-7s %-15s %s" % (f["severity"], f["kind"], f["message"]) for f in doc["findings"]]
    else:
        lines.append("FINDINGS: none")
    if doc["plan"] is not None:
        lines += ["", "PLAN to %s (what upgrade.yml would do)" % doc["target_version"]]
        lines += plain_text.table(doc["plan"], PLAN_COLUMNS)
    return lines


def _md(text):
    return str(text).replace("|", "\\|")


def markdown(doc):
    lines = [
        "# skoala fleet status",
        "",
        "- run: `%s`" % doc["run_id"],
        "- time: `%s`" % doc["time"],
        "- result: **%s**" % doc["result"],
        "- versions: %s" % (", ".join("`%s`" % v for v in doc["versions"]) or "none"),
    ]
    if doc["target_version"]:
        lines.append("- target: `%s`" % doc["target_version"])
    lines += ["", "## Releases", "", "| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for dummy in COLUMNS) + "|"]
    for r in doc["releases"]:
        cells = _cells(r)
        lines.append("| " + " | ".join(_md(cells[c]) for c in COLUMNS) + " |")
    lines += ["", "## Findings", ""]
    if doc["findings"]:
        lines += ["- **%s** `%s`: %s" % (f["severity"], f["kind"], _md(f["message"])) for f in doc["findings"]]
    else:
        lines.append("None: the fleet is converged.")
    if doc["plan"] is not None:
        lines += ["", "## Plan to `%s`" % doc["target_version"], "",
                  "| " + " | ".join(PLAN_COLUMNS) + " |", "|" + "|".join("---" for dummy in PLAN_COLUMNS) + "|"]
        for row in doc["plan"]:
            lines.append("| " + " | ".join(_md(row[c]) for c in PLAN_COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def files(doc):
    """name -> content: this run's JSON and Markdown, and ``status-latest.*``
    copies (the upgrade report's ``latest.*`` are its own)."""
    as_json = json.dumps(doc, indent=2, sort_keys=True, separators=(",", ": ")) + "\n"
    as_markdown = markdown(doc)
    name = "skoala-status-%s" % doc["run_id"]
    return {name + ".json": as_json, name + ".md": as_markdown,
            "status-latest.json": as_json, "status-latest.md": as_markdown}
