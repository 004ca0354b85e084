# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The fleet's plans (cluster -> the upgrade_plan of each release): the
table preflight shows, the refusals in it, the warnings about a cluster
added to its plans, and how many releases will change.

Pure functions; the filter plugin ``dce5.skoala.skoala`` exposes them to roles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dce5.skoala.plugins.module_utils import machines, plain_text, versions

TABLE_COLUMNS = ("cluster", "component", "current", "target", "action", "steps", "warnings")


def clusters_in_order(plans_by_host):
    """The clusters, the control plane (the one with skoala) first, then by name."""
    return sorted(plans_by_host, key=lambda h: (not any(p["component"] == "skoala" for p in plans_by_host[h]), h))


def fleet_rows(plans_by_host):
    """One row per release, control plane first, then hosts by name."""
    rows = []
    for host in clusters_in_order(plans_by_host):
        for p in plans_by_host[host]:
            rows.append({
                "cluster": host,
                "component": p["component"],
                "current": p.get("current") or "-",
                "target": p["target"],
                "action": p["action"],
                "steps": ", ".join(step_label(s) for s in p.get("steps") or []) or "-",
                # A release finished without its chart says why: a run stopped half way.
                "warnings": "; ".join(([p["reason"]] if p["action"] == "finish" else [])
                                      + list(p.get("warnings") or [])) or "-",
            })
    return rows


def step_label(step):
    if step["name"] == "apply_crds":
        return "apply_crds(%s)" % ",".join(f.rsplit("/", 1)[-1] for f in step["params"]["files"])
    return step["name"]


def fleet_table(plans_by_host):
    return plain_text.table(fleet_rows(plans_by_host), TABLE_COLUMNS)


def refusals(plans_by_host):
    return ["%s/%s: %s" % (host, p["component"], p["reason"])
            for host in sorted(plans_by_host) for p in plans_by_host[host] if p["action"] == "refuse"]


def cluster_warnings(cluster, namespace, insight_namespace, insight_release):
    """What preflight notes about a cluster (cluster_state's result) without
    refusing it, by the component it concerns: pods not ready (read for the
    control plane, ``skoala``), and a missing insight-agent (``skoala-init``;
    only when it was looked for: ``insight_found`` is then False, not None)."""
    warnings = {}
    if cluster.get("unready_pods"):
        warnings["skoala"] = ["pods not ready in %s: %s" % (namespace, ", ".join(cluster["unready_pods"]))]
    if cluster.get("insight_found") is False:
        warnings["skoala-init"] = ["insight-agent not found (%s/%s): metrics and traces of skoala-init are skipped"
                                   % (insight_namespace, insight_release)]
    return warnings


def with_warnings(plans, warnings):
    """Plans with the host's warnings added: a list goes to every plan, a
    dict (cluster_warnings) to the plan of each component it names."""
    result = []
    for p in plans:
        p = dict(p)
        own = warnings.get(p.get("component"), []) if isinstance(warnings, dict) else warnings
        p["warnings"] = list(p.get("warnings") or []) + list(own or [])
        result.append(p)
    return result


def fleet_changes(fleet_plans):
    """How many releases of the fleet (cluster -> plans) will change."""
    return sum(1 for plans in (fleet_plans or {}).values() for p in plans or [] if p.get("action") != "none")


# The groups upgrade.yml's plays after preflight run on: a cluster in none
# of them runs none of those plays, and a play none is in is skipped whole.
CHANGING = "skoala_changing"  # a release to install, upgrade or finish
PENDING = "skoala_pending"  # a release stuck in pending-* to recover first
REPO_MACHINES = "skoala_repo_machines"  # the first changing cluster per machine helm runs on


def fleet_groups(hosts, plans_by_host, all_host_vars):
    """``[{"host", "groups"}]`` for each of ``hosts`` (in order) that belongs
    to a group above; ``all_host_vars`` tells where each host's helm runs."""
    changing = [h for h in hosts if fleet_changes({h: plans_by_host.get(h)}) > 0]
    repo_machines = set(machines.one_per_machine(changing, all_host_vars))
    out = []
    for host in hosts:
        groups = []
        if host in changing:
            groups.append(CHANGING)
        if versions.pending_plans(plans_by_host.get(host)):
            groups.append(PENDING)
        if host in repo_machines:
            groups.append(REPO_MACHINES)
        if groups:
            out.append({"host": host, "groups": groups})
    return out
