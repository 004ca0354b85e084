# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The upgrade path as data: the built-in table (``data/upgrade_path.yml``),
the rows operators add (``skoala_upgrade_path_extra``), the steps they drop
(``skoala_upgrade_steps_skip``), and the compatibility checks of a target.

Read on the controller (the upgrade_plan action, the filters). Everything
but ``load_builtin`` is pure; each problem names the row, the field and the
fix. The schema is in docs/upgrade-path.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import posixpath
import re

from ansible_collections.dce5.skoala.plugins.module_utils import versions

BUILTIN_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "upgrade_path.yml")
SCHEMA_VERSION = 1

# The steps the collection can run: roles/upgrade_release/tasks/step_<name>.yml.
STEPS = ("db_upgrade", "delete_jobs", "apply_crds")
CHECKS = ("kubernetes", "global_management")
STEP_FIELDS = ("step", "component", "phase", "boundary", "until", "params", "description", "source")
CHECK_FIELDS = ("check", "component", "boundary", "until", "params", "description", "source")
EXTRA_VAR = "skoala_upgrade_path_extra"
SKIP_VAR = "skoala_upgrade_steps_skip"

_MINOR_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?")
_JOB_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class UpgradePathError(ValueError):
    """Rows or skip names that cannot be used; ``problems`` holds each message."""

    def __init__(self, problems):
        super(UpgradePathError, self).__init__("; ".join(problems))
        self.problems = list(problems)


_CACHE = {}


def load_builtin(path=BUILTIN_FILE):
    """The built-in table, checked: ``{"steps": [...], "checks": [...]}``.
    A problem in it is the collection's bug, raised as UpgradePathError."""
    path = os.path.normpath(path)
    if path not in _CACHE:
        import yaml  # controller only: modules never read the file

        with open(path, "rb") as handle:
            # Each task's worker reads it afresh: the C loader where there is one.
            data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}  # nosec B506
        if data.get("schema_version") != SCHEMA_VERSION:
            raise UpgradePathError(["%s: schema_version %r, expected %d" % (path, data.get("schema_version"), SCHEMA_VERSION)])
        name = "data/upgrade_path.yml"
        problems = []
        for i, row in enumerate(data.get("steps") or []):
            problems += row_problems(row, "%s steps[%d]" % (name, i))
        for i, row in enumerate(data.get("checks") or []):
            problems += row_problems(row, "%s checks[%d]" % (name, i))
        if problems:
            raise UpgradePathError(problems)
        _CACHE[path] = {"steps": tuple(data.get("steps") or ()), "checks": tuple(data.get("checks") or ())}
    return _CACHE[path]


def step_name(row):
    """How skoala_upgrade_steps_skip names a step row (or a planned step):
    ``<step>@<boundary>``, or ``<step>`` for a row of every upgrade."""
    step = row.get("step") or row.get("name")
    return step if row.get("boundary") is None else "%s@%s" % (step, row["boundary"])


def _version_problem(row, field, where, required=False):
    value = row.get(field)
    if value is None:
        if required:
            return ["%s.%s: missing; write a version like 0.58.0 (null: every version)" % (where, field)]
        return []
    try:
        versions.Version.parse(str(value) if isinstance(value, (int, float)) else value)
    except versions.VersionError:
        return ["%s.%s: %r is not a version; write it as X.Y.Z in quotes (e.g. '0.58.0')" % (where, field, value)]
    return []


def _chart_path_problem(path, where):
    if not isinstance(path, str) or not path.strip():
        return "%s: %r is not a file path; give a path inside the chart, e.g. charts/contour-provisioner/crds/contour.yaml" % (where, path)
    normal = posixpath.normpath(path)
    if path.startswith(("/", "~")) or "\\" in path or normal == ".." or normal.startswith("../") or normal == ".":
        return ("%s: '%s' is outside the chart; give a path relative to the chart's top directory, "
                "e.g. charts/contour-provisioner/crds/contour.yaml" % (where, path))
    return None


def _params_problems(row, where):
    params = row.get("params")
    if not isinstance(params, dict):
        return ["%s.params: missing or not a mapping; %s" % (where, _PARAMS_HELP.get(row.get("step") or row.get("check"), ""))]
    kind = row.get("step") or row.get("check")
    problems = []
    if kind == "apply_crds":
        files = params.get("files")
        if not isinstance(files, list) or not files:
            problems.append("%s.params.files: a list of files in the target chart is needed; %s" % (where, _PARAMS_HELP[kind]))
        else:
            for j, f in enumerate(files):
                problem = _chart_path_problem(f, "%s.params.files[%d]" % (where, j))
                if problem:
                    problems.append(problem)
    elif kind == "delete_jobs":
        jobs = params.get("jobs")
        if not isinstance(params.get("namespace"), str) or not params.get("namespace"):
            problems.append("%s.params.namespace: missing; %s" % (where, _PARAMS_HELP[kind]))
        if not isinstance(jobs, list) or not jobs or not all(isinstance(j, str) and _JOB_NAME_RE.match(j) for j in jobs):
            problems.append("%s.params.jobs: a list of Job names is needed; %s" % (where, _PARAMS_HELP[kind]))
    elif kind == "db_upgrade":
        sweet = params.get("sweet")
        if not isinstance(sweet, dict) or any(not sweet.get(k) for k in ("type", "target", "tag")):
            problems.append("%s.params.sweet: type, target and tag are needed; %s" % (where, _PARAMS_HELP[kind]))
    elif kind == "kubernetes":
        for bound in ("min", "max"):
            value = params.get(bound)
            if value is not None and not _MINOR_RE.match(str(value)):
                problems.append("%s.params.%s: %r is not a Kubernetes version; write it as '1.25'" % (where, bound, value))
        if params.get("min") is None and params.get("max") is None:
            problems.append("%s.params: min or max is needed; %s" % (where, _PARAMS_HELP[kind]))
    elif kind == "global_management":
        for key in ("ghippo_from", "engine_min"):
            problems += _version_problem(params, key, where + ".params", required=True)
    return problems


_PARAMS_HELP = {
    "apply_crds": "e.g. params: {files: [charts/contour-provisioner/crds/contour.yaml]}",
    "delete_jobs": "e.g. params: {namespace: skoala-system, jobs: [gateway-api-admission]}",
    "db_upgrade": "e.g. params: {sweet: {type: UPGRADE, target: 0.17.0, tag: v0.19.0}}",
    "kubernetes": "e.g. params: {min: '1.23', max: '1.35'}",
    "global_management": "e.g. params: {ghippo_from: 0.23.0, engine_min: 0.22.0}",
}


def row_problems(row, where):
    """What is wrong with one row (a step row, or a check row with ``check``)."""
    if not isinstance(row, dict):
        return ["%s: a row is a mapping (step, component, phase, boundary, params, source...), got %s"
                % (where, type(row).__name__)]
    is_check = "check" in row
    fields = CHECK_FIELDS if is_check else STEP_FIELDS
    problems = ["%s.%s: unknown field; a %s row has %s" % (where, k, "check" if is_check else "step", ", ".join(fields))
                for k in sorted(row) if k not in fields]
    if is_check:
        if row["check"] not in CHECKS:
            problems.append("%s.check: unknown check %r; use one of %s" % (where, row["check"], ", ".join(CHECKS)))
        if row.get("component") is not None and row["component"] not in versions.COMPONENTS:
            problems.append("%s.component: %r; use one of %s, or null for both"
                            % (where, row["component"], ", ".join(versions.COMPONENTS)))
    else:
        if row.get("step") not in STEPS:
            problems.append("%s.step: unknown step %r; use one of %s (each is a task file the collection runs)"
                            % (where, row.get("step"), ", ".join(STEPS)))
        if row.get("component") not in versions.COMPONENTS:
            problems.append("%s.component: %r; use one of %s" % (where, row.get("component"), ", ".join(versions.COMPONENTS)))
        if row.get("phase") not in versions.PHASES:
            problems.append("%s.phase: %r; use pre (before the chart) or post (after it)" % (where, row.get("phase")))
        if "boundary" not in row:
            problems.append("%s.boundary: missing; the first version that needs the step (null: every upgrade)" % where)
    problems += _version_problem(row, "boundary", where)
    problems += _version_problem(row, "until", where)
    if not problems and row.get("until") is not None and row.get("boundary") is not None:
        if versions.Version.parse(str(row["until"])) <= versions.Version.parse(str(row["boundary"])):
            problems.append("%s.until: %s is not above boundary %s; until is the first version the row no longer covers"
                            % (where, row["until"], row["boundary"]))
    if not isinstance(row.get("source"), str) or not row["source"].strip():
        problems.append("%s.source: missing; name the vendor page or note the row comes from" % where)
    if row.get("description") is not None and not isinstance(row["description"], str):
        problems.append("%s.description: a sentence is expected" % where)
    # An unknown step or check has no params to check.
    if row.get("step") in STEPS or row.get("check") in CHECKS:
        problems += _params_problems(row, where)
    return problems


def _normal(row):
    """A row with its versions as strings (YAML may give 0.58 as a float)."""
    out = dict(row)
    for field in ("boundary", "until"):
        if out.get(field) is not None:
            out[field] = str(versions.Version.parse(str(out[field])))
    out.setdefault("until", None)
    if out.get("description") is None:
        out["description"] = out.get("step") or out.get("check")
    return out


def _identity(row):
    return (row.get("check"), row.get("step"), row.get("component"), row.get("phase"),
            row.get("boundary"), row.get("until"), repr(sorted((row.get("params") or {}).items())))


def problems(builtin, extra=None, skip=None):
    """Every problem in ``extra`` (skoala_upgrade_path_extra) and ``skip``
    (skoala_upgrade_steps_skip), against the built-in table."""
    found = []
    if extra is not None and not isinstance(extra, list):
        return ["%s: a list of rows is expected, got %s" % (EXTRA_VAR, type(extra).__name__)]
    if skip is not None and not isinstance(skip, list):
        return ["%s: a list of step names is expected (e.g. [apply_crds@0.52.1]), got %s" % (SKIP_VAR, type(skip).__name__)]
    seen = {}
    for i, row in enumerate(builtin["steps"]):
        seen[_identity(_normal(row))] = "data/upgrade_path.yml steps[%d] (%s)" % (i, step_name(row))
    for i, row in enumerate(builtin["checks"]):
        seen[_identity(_normal(row))] = "data/upgrade_path.yml checks[%d] (%s)" % (i, row["check"])
    good = []
    for i, row in enumerate(extra or []):
        where = "%s[%d]" % (EXTRA_VAR, i)
        row_found = row_problems(row, where)
        if row_found:
            found += row_found
            continue
        key = _identity(_normal(row))
        if key in seen:
            found.append("%s: repeats %s; remove one of them" % (where, seen[key]))
            continue
        seen[key] = where
        good.append(row)
    names = set(step_name(r) for r in list(builtin["steps"]) + [r for r in good if "check" not in r])
    steps = set(r["step"] for r in list(builtin["steps"]) + [r for r in good if "check" not in r])
    for i, name in enumerate(skip or []):
        if not isinstance(name, str) or (name not in names and name not in steps):
            found.append("%s[%d]: %r names no step; use a step (%s) or one row as <step>@<boundary> (%s)"
                         % (SKIP_VAR, i, name, ", ".join(sorted(steps)), ", ".join(sorted(names))))
    return found


def table(builtin, extra=None, skip=None):
    """The steps to plan with, the steps skipped, and the checks:
    ``{"steps", "skipped", "checks"}``. Raises UpgradePathError."""
    found = problems(builtin, extra, skip)
    if found:
        raise UpgradePathError(found)
    rows = [_normal(r) for r in list(builtin["steps"]) + list(builtin["checks"]) + list(extra or [])]
    skip = set(skip or [])
    steps = [r for r in rows if "check" not in r]
    return {
        "steps": [r for r in steps if step_name(r) not in skip and r["step"] not in skip],
        "skipped": [r for r in steps if step_name(r) in skip or r["step"] in skip],
        "checks": [r for r in rows if "check" in r],
    }


# --- compatibility --------------------------------------------------------------

def kubernetes_minor(value):
    """(major, minor) of a Kubernetes version as the API server reports it
    (``v1.34.4``, ``v1.28.3+k3s1``) or as a row writes it (``1.25``); None
    when it cannot be read."""
    found = _MINOR_RE.match(str(value or "").strip())
    return (int(found.group(1)), int(found.group(2))) if found else None


def _covers(row, component, target):
    if row.get("component") not in (None, component):
        return False
    if row.get("boundary") is not None and target < versions.Version.parse(row["boundary"]):
        return False
    return row.get("until") is None or target < versions.Version.parse(row["until"])


def _range_text(params):
    low, high = params.get("min"), params.get("max")
    if low and high:
        return "%s to %s" % (low, high)
    return ("%s or newer" % low) if low else ("%s or older" % high)


def compatibility(checks, component, target, kubernetes_version=None, ghippo_version=None):
    """What the checks say of ``component`` at ``target`` on a cluster whose
    API server reports ``kubernetes_version`` (None: not read) and whose
    global management is at ``ghippo_version`` (None: not installed or not
    read): ``{"refusals": [...], "warnings": [...]}``, each a sentence that
    gives the vendor's reason and source."""
    target = versions.Version.parse(target)
    refusals, warnings = [], []
    if kubernetes_version is not None:
        running = kubernetes_minor(kubernetes_version)
        rows = [r for r in checks if r["check"] == "kubernetes" and _covers(r, component, target)]
        if running is None:
            warnings.append("Kubernetes version %r could not be read; the supported range is not checked" % kubernetes_version)
        elif not rows:
            warnings.append("Kubernetes %s: no supported range is known for %s %s" % (kubernetes_version, component, target))
        for row in rows:
            low = kubernetes_minor(row["params"].get("min"))
            high = kubernetes_minor(row["params"].get("max"))
            if running is not None and ((low and running < low) or (high and running > high)):
                refusals.append("Kubernetes %s is outside what %s %s supports (%s): %s (source: %s); "
                                "upgrade Kubernetes first or choose another target"
                                % (kubernetes_version, component, target, _range_text(row["params"]),
                                   row["description"], row["source"]))
    if ghippo_version is not None:
        ghippo = versions.Version.parse(ghippo_version)
        for row in checks:
            if row["check"] != "global_management" or not _covers(row, component, target):
                continue
            if ghippo >= versions.Version.parse(row["params"]["ghippo_from"]) and \
                    target < versions.Version.parse(row["params"]["engine_min"]):
                refusals.append("global management (ghippo) is at %s; %s (source: %s); choose a target at %s or newer"
                                % (ghippo, row["description"], row["source"], row["params"]["engine_min"]))
    return {"refusals": refusals, "warnings": warnings}
