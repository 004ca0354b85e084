# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""What preflight reads and checks, reduced to plain data: a release without
its (secret) values, the versions a chart repo offers, a kubeconfig without
its credentials, the problems in an inventory's inputs, and the fleet table.

Pure functions; the filter plugin ``dce5.skoala.skoala`` exposes them to roles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

try:
    import yaml
except ImportError:  # only the filter plugin uses this, on the controller, where ansible-core brings PyYAML
    yaml = None

from ansible_collections.dce5.skoala.plugins.module_utils import run_id, versions

SOURCES = ("online", "offline")
CHECKS = ("helm_version", "mysql", "pods", "insight_agent", "repo_index")


def release_summary(helm_info_result, component):
    """What the plan needs from kubernetes.core.helm_info's result, without
    the values (they hold the DSN): chart, version, status, revision, and the
    image tags from the computed values."""
    status = (helm_info_result or {}).get("status") or {}
    if not status:
        return {"installed": False, "chart": "", "version": None, "status": None,
                "revision": None, "app_version": None, "image_tags": {}}
    values = status.get("values") or {}
    keys = list(versions.image_tag_values(component, "99.0.0", "99.0.0"))
    if component == "skoala" and "ui.image.tag" not in keys:
        keys.append("ui.image.tag")
    tags = {}
    for key in keys:
        tag = versions.lookup_dotted(values, key)
        if tag is not None:
            tags[key] = str(tag)
    chart = status.get("chart") or ""
    try:
        version = str(versions.chart_version(chart, component))
    except versions.VersionError:
        version = None
    return {
        "installed": True,
        "chart": chart,
        "version": version,
        "status": status.get("status"),
        "revision": int(status["revision"]) if status.get("revision") is not None else None,
        "app_version": status.get("app_version"),
        "image_tags": tags,
    }


def chart_versions(index, chart):
    """Versions of ``chart`` in a Helm repository index (parsed index.yaml)."""
    if not isinstance(index, dict):
        return []
    entries = (index.get("entries") or {}).get(chart) or []
    return [str(e.get("version")) for e in entries if isinstance(e, dict) and e.get("version") is not None]


def kubeconfig_summary(config, context=None):
    """Contexts of a kubeconfig and the API server the chosen one points at,
    with no credentials. ``config`` is the parsed kubeconfig, or its text
    (garbage text is an invalid kubeconfig, not an error that could echo it)."""
    if isinstance(config, (str, bytes)):
        try:
            config = yaml.safe_load(config)
        except yaml.YAMLError:
            config = None
    if not isinstance(config, dict) or not isinstance(config.get("contexts") or [], list):
        return {"valid": False, "contexts": [], "context": None, "context_found": False, "server": None}
    contexts = [c.get("name") for c in config.get("contexts") or [] if isinstance(c, dict)]
    chosen = context or config.get("current-context")
    server = None
    found = chosen in contexts
    if found:
        ctx = next(c for c in config["contexts"] if c.get("name") == chosen)
        cluster_name = (ctx.get("context") or {}).get("cluster")
        for cluster in config.get("clusters") or []:
            if isinstance(cluster, dict) and cluster.get("name") == cluster_name:
                server = (cluster.get("cluster") or {}).get("server")
    return {"valid": True, "contexts": contexts, "context": chosen, "context_found": found, "server": server}


def kubeconfig_file_problem(path, exists, is_file, readable):
    """What is wrong with the kubeconfig file, or None."""
    if not exists:
        what = "does not exist"
    elif not is_file:
        what = "is not a regular file"
    elif not readable:
        what = "is not readable"
    else:
        return None
    return "skoala_kubeconfig %s %s; point skoala_kubeconfig at this cluster's kubeconfig file." % (path, what)


def kubeconfig_context_problem(path, summary):
    """What is wrong with the chosen context of a kubeconfig_summary, or None."""
    if summary["valid"] and summary["context_found"]:
        return None
    if not summary["valid"]:
        return ("skoala_kubeconfig %s is not a kubeconfig (YAML with contexts and clusters); "
                "point skoala_kubeconfig at the kubeconfig file of the cluster." % path)
    chosen = ("context %s (skoala_kube_context)" % summary["context"]) if summary["context"] else "no current-context"
    return "%s not found in %s (it has: %s); set skoala_kube_context to one of them." % (
        chosen, path, ", ".join(summary["contexts"]) or "no contexts")


def unreachable_message(host, summary, path, error):
    error = " ".join(str(error).split())
    if len(error) > 400:
        error = error[:397] + "..."
    return ("%s: cannot reach the API server %s (kubeconfig %s, context %s): %s. "
            "Check the cluster is up and the kubeconfig points at it."
            % (host, summary.get("server") or "?", path, summary.get("context"), error or "unknown error"))


def statefulset_readiness(sts):
    """found/ready/replicas of a StatefulSet as the API returns it."""
    return {"found": True,
            "ready": (sts.get("status") or {}).get("readyReplicas") or 0,
            "replicas": (sts.get("spec") or {}).get("replicas", 1)}


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


# What -e key=true / key=false gives (a string).
BOOL_STRINGS = ("true", "false")


def _whole(value):
    """A whole number from an int or a string of digits (-e gives strings);
    None otherwise."""
    if _is_int(value):
        return value
    if isinstance(value, str) and re.match(r"^-?[0-9]+$", value.strip()):
        return int(value)
    return None


def _percentage(value, allow_zero=False):
    if isinstance(value, str):
        value = value.strip()
        value = value[:-1] if value.endswith("%") else value
        try:
            value = float(value)
        except ValueError:
            return False
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return (0 <= value if allow_zero else 0 < value) and value <= 100


def _serial_ok(value):
    """Ansible's serial: a batch size above 0, a percentage, or a list of them."""
    if isinstance(value, list):
        return bool(value) and all(_serial_ok(v) for v in value)
    if isinstance(value, str) and value.strip().endswith("%"):
        return _percentage(value)
    number = _whole(value)
    return number is not None and number > 0


# Variables the playbooks use as play keywords, with the value that means "not set".
PLAY_KEYWORD_VARS = (
    ("skoala_workers_serial", "serial", "100%", "all workers would be upgraded in one batch"),
    ("skoala_max_fail_percentage", "max_fail_percentage", "0", "the run would stop at the first failed worker"),
)


def _same_setting(value, default):
    text = str(value).strip()
    return text == default or (default == "0" and _whole(text.rstrip("%")) == 0)


def play_keyword_problems(host, inputs, extra_var_names):
    """Variables that only reach play keywords from extra vars. Ansible
    templates serial and max_fail_percentage without any host's variables, so
    a value set in the inventory is silently replaced by the default."""
    problems = []
    for var, keyword, default, effect in PLAY_KEYWORD_VARS:
        value = inputs.get(var)
        if value is None or var in extra_var_names or _same_setting(value, default):
            continue
        problems.append(
            "%s: %s is %r in the inventory, but the playbooks use it as the workers' play keyword %s, and "
            "Ansible reads play keywords from extra vars only: %s. Pass it with -e (e.g. -e '{\"%s\": %s}' "
            "or -e @vars.yml) and remove it from the inventory"
            % (host, var, value, keyword, effect, var, json.dumps(value)))
    return problems


def input_problems(host, inputs, extra_var_names=None):
    """Problems with one host's inputs, each naming the host, the variable
    and the fix. ``inputs`` maps variable names to values; with
    ``extra_var_names`` (the names given with -e), play-keyword variables set
    only in the inventory are refused too."""
    problems = []
    if extra_var_names is not None:
        problems.extend(play_keyword_problems(host, inputs, extra_var_names))

    def bad(var, what, fix):
        problems.append("%s: %s %s; %s" % (host, var, what, fix))

    def version(var, required):
        value = inputs.get(var)
        if value in (None, "") and not required:
            return
        try:
            versions.Version.parse(value, var)
        except versions.VersionError as exc:
            problems.append("%s: %s" % (host, exc))

    version("skoala_target_version", True)
    version("skoala_ui_version", False)

    source = inputs.get("skoala_source")
    if source not in SOURCES:
        bad("skoala_source", "is %r" % (source,), "set it to online or offline")
    elif source == "online":
        url = inputs.get("skoala_repo_url")
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url or ""):
            bad("skoala_repo_url", "is %r" % (url,),
                "online mode needs the chart repository URL, e.g. https://release.daocloud.io/chartrepo/skoala")
    else:
        if not inputs.get("skoala_offline_registry"):
            bad("skoala_offline_registry", "is empty",
                "offline mode needs the registry the images were synced to (host[:port])")
        if not (inputs.get("skoala_offline_bundle") or inputs.get("skoala_offline_chart_dir")
                or inputs.get("skoala_repo_url")):
            bad("skoala_offline_bundle", "is empty",
                "offline mode needs an offline bundle, an unpacked chart directory "
                "(skoala_offline_chart_dir) or a Harbor chartrepo URL (skoala_repo_url)")

    kubeconfig = inputs.get("skoala_kubeconfig")
    if not isinstance(kubeconfig, str) or not kubeconfig.strip():
        bad("skoala_kubeconfig", "is not set", "give every cluster the path of its kubeconfig file")

    for var in ("skoala_helm_timeout", "skoala_wait_timeout"):
        if var in inputs and inputs[var] is not None:
            value = inputs[var]
            if _whole(value) is None or _whole(value) <= 0:
                bad(var, "is %r" % (value,), "use a whole number of seconds above 0")

    for var in ("skoala_allow_downgrade", "skoala_recover_pending", "skoala_lock_takeover"):
        if var in inputs and inputs[var] is not None and not isinstance(inputs[var], bool) \
                and str(inputs[var]).lower() not in BOOL_STRINGS:
            bad(var, "is %r" % (inputs[var],), "use true or false")

    ttl = inputs.get("skoala_lock_ttl")
    if ttl is not None and (_whole(ttl) is None or _whole(ttl) < 0):
        bad("skoala_lock_ttl", "is %r" % (ttl,), "use a whole number of seconds (0: the lock never expires)")

    serial = inputs.get("skoala_workers_serial")
    if serial is not None and not _serial_ok(serial):
        bad("skoala_workers_serial", "is %r" % (serial,),
            "use a number of workers per batch above 0, a percentage like '25%', or a list of those")

    fail = inputs.get("skoala_max_fail_percentage")
    if fail is not None and not _percentage(fail, allow_zero=True):
        bad("skoala_max_fail_percentage", "is %r" % (fail,), "use a number from 0 to 100")

    for var in ("skoala_backup_dir", "skoala_report_dir"):
        value = inputs.get(var)
        if var in inputs and (not isinstance(value, str) or not value.strip()):
            bad(var, "is %r" % (value,), "give a directory path on the controller")

    if inputs.get("skoala_run_id") is not None:
        problem = run_id.run_id_problem(inputs["skoala_run_id"])
        if problem:
            problems.append("%s: %s" % (host, problem))

    skip = inputs.get("skoala_preflight_skip")
    if skip is not None:
        if not isinstance(skip, list):
            bad("skoala_preflight_skip", "is %r" % (skip,), "use a list of check names")
        else:
            unknown = [s for s in skip if s not in CHECKS]
            if unknown:
                bad("skoala_preflight_skip", "names unknown checks %s" % ", ".join(map(str, unknown)),
                    "choose from %s" % ", ".join(CHECKS))
    return problems


def fleet_rows(plans_by_host):
    """One row per release, control plane first, then hosts by name."""
    rows = []
    for host in sorted(plans_by_host, key=lambda h: (not any(p["component"] == "skoala" for p in plans_by_host[h]), h)):
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


TABLE_COLUMNS = ("cluster", "component", "current", "target", "action", "steps", "warnings")


def table(rows, columns=TABLE_COLUMNS):
    """A plain text table, one string per line (what debug prints well)."""
    widths = [max([len(c)] + [len(str(r[c])) for r in rows]) for c in columns]

    def line(cells):
        return "  ".join(str(v).ljust(w) for v, w in zip(cells, widths)).rstrip()

    out = [line([c.upper() for c in columns]), line(["-" * w for w in widths])]
    out += [line([r[c] for c in columns]) for r in rows]
    return out


def fleet_table(plans_by_host):
    return table(fleet_rows(plans_by_host))


def refusals(plans_by_host):
    return ["%s/%s: %s" % (host, p["component"], p["reason"])
            for host in sorted(plans_by_host) for p in plans_by_host[host] if p["action"] == "refuse"]


def release_summaries(helm_info_results):
    """release_summary for each result of a helm_info task looped over components."""
    return {r["item"]: release_summary(r, r["item"]) for r in helm_info_results}


def unready_pods(pods):
    """Names (and phases) of pods that are not Ready."""
    out = []
    for pod in pods or []:
        conditions = (pod.get("status") or {}).get("conditions") or []
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        if not ready:
            out.append("%s (%s)" % (pod["metadata"]["name"], (pod.get("status") or {}).get("phase", "Unknown")))
    return sorted(out)


def with_warnings(plans, warnings):
    """Plans with the host's warnings added to each."""
    result = []
    for p in plans:
        p = dict(p)
        p["warnings"] = list(p.get("warnings") or []) + list(warnings or [])
        result.append(p)
    return result


def set_values(image_tags, image_registry=None):
    """kubernetes.core.helm ``set_values`` for the image tags (and the
    registry), as strings so ``v0.28.1`` never turns into anything else."""
    out = [{"value": "%s=%s" % (k, v), "value_type": "string"} for k, v in sorted((image_tags or {}).items())]
    if image_registry:
        out.append({"value": "global.imageRegistry=%s" % image_registry, "value_type": "string"})
    return out


# Value key prefix -> workload name, where they differ.
WORKLOAD_OF_VALUE = {"ui": "skoala-ui"}


def expected_images(image_tags):
    """Workload name -> tag, from the plan's ``--set`` image tags."""
    out = {}
    for key, tag in (image_tags or {}).items():
        name = key[: -len(".image.tag")] if key.endswith(".image.tag") else key
        out[WORKLOAD_OF_VALUE.get(name, name)] = tag
    return out


def helm_machine(host, host_vars):
    """Where a host's helm runs, as a key: Helm keeps its repositories per
    machine and user, so hosts with the same key share one repository list."""
    if host_vars.get("ansible_connection") == "local":
        return "local"
    return "%s@%s:%s" % (host_vars.get("ansible_user") or "", host_vars.get("ansible_host") or host,
                         host_vars.get("ansible_port") or "")


def one_per_machine(hosts, all_host_vars):
    """The first of ``hosts`` on each machine helm runs on, in order."""
    seen = set()
    chosen = []
    for host in hosts:
        key = helm_machine(host, all_host_vars[host])
        if key not in seen:
            seen.add(key)
            chosen.append(host)
    return chosen


def fleet_changes(fleet_plans):
    """How many releases of the fleet (cluster -> plans) will change."""
    return sum(1 for plans in (fleet_plans or {}).values() for p in plans or [] if p.get("action") != "none")
