# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The upgrade report: one row per release, as a document for CI (JSON),
Markdown for people, and a plain table for the screen."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.dce5.skoala.plugins.module_utils import fleet_plans, plain_text
from ansible_collections.dce5.skoala.plugins.module_utils.plan import CHANGING

SCHEMA_VERSION = 1
COLUMNS = ("cluster", "component", "from", "to", "action", "result", "duration", "backup")


def rows(hosts, failed_hosts=()):
    """``hosts``: cluster -> {"plans": [...], "report": {component: entry}}.
    A release whose plan was `none` is `unchanged`; one that was planned but
    has no entry is `failed` when its cluster failed before the release's
    upgrade began (``failed_hosts``), else it never started (its batch was
    not reached)."""
    out = []
    for cluster in fleet_plans.clusters_in_order({h: hosts[h].get("plans") or [] for h in hosts}):
        data = hosts[cluster] or {}
        entries = data.get("report") or {}
        for plan in data.get("plans") or []:
            entry = entries.get(plan["component"]) or {}
            if plan["action"] == "none":
                result = "unchanged"
            elif not entry:
                result = "failed" if cluster in (failed_hosts or ()) else "not started"
            else:
                result = entry.get("result", "failed")
            started, finished = entry.get("started"), entry.get("finished")
            out.append({
                "cluster": cluster,
                "component": plan["component"],
                "release": plan["release"],
                "from": plan.get("current"),
                "to": plan["target"],
                "action": plan["action"],
                "steps": [s["name"] for s in plan.get("steps") or []],
                "result": result,
                "duration_seconds": round(finished - started, 1) if started and finished else None,
                "backup": entry.get("backup"),
            })
    return out


def start_entry(plan, started, backups=None):
    """A release's entry when its upgrade starts: ``failed`` until the end of
    the upgrade says otherwise, so a run that stops half way reports it.
    ``backups``: component -> backup_values' record (``values_file``)."""
    backup = (backups or {}).get(plan["component"]) or {}
    return {"release": plan["release"], "from": plan.get("current"), "to": plan["target"], "action": plan["action"],
            "result": "failed", "started": started, "backup": backup.get("values_file")}


def with_start(report, plan, started, backups=None):
    """``report`` (component -> entry) with the start of ``plan``'s release
    noted, when its action changes the release (upgrade_release carries it
    out); as it was otherwise (a release with nothing to do has no start)."""
    report = dict(report or {})
    if plan.get("action") in CHANGING:
        report[plan["component"]] = start_entry(plan, started, backups)
    return report


def document(hosts, run_id, target=None, failed_hosts=()):
    report_rows = rows(hosts, failed_hosts)
    counts = {}
    for r in report_rows:
        counts[r["result"]] = counts.get(r["result"], 0) + 1
    ok = all(r["result"] in ("upgraded", "unchanged", "checked") for r in report_rows)
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "target_version": target,
        "result": "success" if ok else "failed",
        "counts": counts,
        "releases": report_rows,
    }


def _cells(row):
    return {
        "cluster": row["cluster"], "component": row["component"], "from": row["from"] or "-",
        "to": row["to"], "action": row["action"], "result": row["result"],
        "duration": "%.1fs" % row["duration_seconds"] if row["duration_seconds"] is not None else "-",
        "backup": row["backup"] or "-",
    }


def table(doc):
    return plain_text.table([_cells(r) for r in doc["releases"]], COLUMNS)


def markdown(doc):
    lines = [
        "# skoala upgrade report",
        "",
        "- run: `%s`" % doc["run_id"],
        "- target: `%s`" % doc["target_version"],
        "- result: **%s** (%s)" % (doc["result"], ", ".join("%s %d" % kv for kv in sorted(doc["counts"].items()))),
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for dummy in COLUMNS) + "|",
    ]
    for r in doc["releases"]:
        cells = _cells(r)
        lines.append("| " + " | ".join(str(cells[c]).replace("|", "\\|") for c in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def report_input(host_vars):
    """The part of a host's variables the report reads."""
    return {"plans": host_vars.get("skoala_plans") or [], "report": host_vars.get("skoala_report") or {}}


def files(doc):
    """The report files of a document: name -> content. ``latest.*`` are
    copies, not links, so they survive copying the directory anywhere."""
    as_json = json.dumps(doc, indent=2, sort_keys=True, separators=(",", ": ")) + "\n"
    as_markdown = markdown(doc)
    name = "skoala-upgrade-%s" % doc["run_id"]
    return {name + ".json": as_json, name + ".md": as_markdown, "latest.json": as_json, "latest.md": as_markdown}


# A later part does not hide what an earlier one saw happen: a re-run after a
# kill finds "unchanged" what the first attempt upgraded, and the
# control-plane job (which plans every cluster) has the workers "not started".
_HIDES_NOTHING = {"unchanged": ("upgraded",), "not started": None}


def merge(parts, run_id, target=None):
    """One document from the parts that the jobs of one workflow run wrote
    (each a document(); in the order written). A release reported by more
    than one part (a re-run after a failure) takes its latest row, except
    that a later ``not started`` keeps any earlier row and a later
    ``unchanged`` keeps an earlier ``upgraded``."""
    by_release = {}
    order = []
    for part in parts or []:
        if (part or {}).get("run_id") not in (None, run_id):
            continue
        target = target or part.get("target_version")
        for row in part.get("releases") or []:
            key = (row["cluster"], row["component"])
            if key not in by_release:
                order.append(key)
            elif row["result"] in _HIDES_NOTHING:
                kept = _HIDES_NOTHING[row["result"]]
                if kept is None or by_release[key]["result"] in kept:
                    continue
            by_release[key] = row
    report_rows = [by_release[k] for k in order]
    counts = {}
    for r in report_rows:
        counts[r["result"]] = counts.get(r["result"], 0) + 1
    ok = bool(report_rows) and all(r["result"] in ("upgraded", "unchanged", "checked") for r in report_rows)
    return {"schema_version": SCHEMA_VERSION, "run_id": run_id, "target_version": target,
            "result": "success" if ok else "failed", "counts": counts, "releases": report_rows}


def parts_of(config_maps):
    """The report parts in ConfigMaps (as k8s_info returns them), oldest first."""
    found = []
    for cm in config_maps or []:
        meta = cm.get("metadata") or {}
        text = (cm.get("data") or {}).get("report.json")
        if text:
            found.append((meta.get("creationTimestamp") or "", meta.get("name") or "", json.loads(text)))
    return [doc for dummy, dummy2, doc in sorted(found, key=lambda t: (t[0], t[1]))]
