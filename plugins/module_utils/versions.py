# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Versions of skoala charts, and the upgrade plan between two of them.

Pure logic, no Ansible and no cluster: parsing what operators write, ordering
the semver way, the upgrade-path table (data), and the plan for one release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

COMPONENTS = ("skoala", "skoala-init")
NAMESPACE = "skoala-system"

_VERSION_RE = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


class VersionError(ValueError):
    """A value that is not a version, with where it came from."""


class Version(object):
    """A semantic version as skoala charts and image tags use it.

    ``0.28.1`` and ``v0.28.1`` are the same version; build metadata (``+x``)
    is kept but ignored for ordering, as semver says.
    """

    __slots__ = ("major", "minor", "patch", "prerelease", "build")

    def __init__(self, major, minor, patch, prerelease=(), build=""):
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = tuple(prerelease)
        self.build = build

    @classmethod
    def parse(cls, value, source="version"):
        """Parse ``value``; ``source`` names the variable for the error message."""
        if isinstance(value, Version):
            return value
        if not isinstance(value, str):
            raise VersionError(
                "%s: %r is not a version (a string like 0.28.1 is expected, got %s)"
                % (source, value, type(value).__name__))
        match = _VERSION_RE.match(value)
        if not match:
            raise VersionError(
                "%s: '%s' is not a version; write it as X.Y.Z (e.g. 0.28.1 or v0.28.1)"
                % (source, value))
        major, minor, patch, pre, build = match.groups()
        prerelease = tuple(int(p) if p.isdigit() else p for p in pre.split(".")) if pre else ()
        return cls(int(major), int(minor), int(patch), prerelease, build or "")

    def _key(self):
        # A release sorts after all of its pre-releases; numeric identifiers
        # sort before alphanumeric ones; a shorter prefix sorts first.
        if not self.prerelease:
            pre = (1,)
        else:
            pre = (0,) + tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, pre)

    def __eq__(self, other):
        return isinstance(other, Version) and self._key() == other._key()

    def __ne__(self, other):
        return not self == other

    def __lt__(self, other):
        return self._key() < other._key()

    def __le__(self, other):
        return self._key() <= other._key()

    def __gt__(self, other):
        return self._key() > other._key()

    def __ge__(self, other):
        return self._key() >= other._key()

    def __hash__(self):
        return hash(self._key())

    def __str__(self):
        text = "%d.%d.%d" % (self.major, self.minor, self.patch)
        if self.prerelease:
            text += "-" + ".".join(str(p) for p in self.prerelease)
        if self.build:
            text += "+" + self.build
        return text

    def __repr__(self):
        return "Version('%s')" % self

    @property
    def tag(self):
        """The image tag a chart of this version ships: ``v`` + version."""
        return "v" + str(self)


def chart_version(chart_field, name):
    """The version in a Helm release's ``chart`` field (``skoala-init-0.28.1``)."""
    prefix = name + "-"
    rest = chart_field[len(prefix):] if chart_field and chart_field.startswith(prefix) else ""
    if not rest[:1].isdigit():
        raise VersionError("release chart '%s' is not chart %s" % (chart_field, name))
    return Version.parse(rest, "chart of release %s" % name)


# --- the upgrade path --------------------------------------------------------
#
# The rows are data: data/upgrade_path.yml, plus what operators add
# (module_utils/upgrade_path.py reads and checks them). A row applies to an
# upgrade of `component` from `current` to `target` when
#     current < boundary <= target
# and, where `until` is set, target < until (from that version on the chart
# does the step itself). A row whose boundary is None applies to every
# install or upgrade of the component. Within a phase, steps run in boundary
# order; every `pre` step runs before the chart, every `post` step after it.

# Jobs of skoala-init whose pod template changes between versions; Kubernetes
# refuses to patch a Job's template, so a helm rollback of skoala-init (which
# runs where the table cannot be read: backup_info) deletes them first. The
# table's delete_jobs row names the same two (a unit test holds them equal).
ADMISSION_JOBS = ("gateway-api-admission", "gateway-api-admission-patch")

PHASES = ("pre", "post")

# Releases the collection will not install fresh: below 0.17.1 the database
# tables had to be created by hand.
MIN_INSTALL = "0.17.1"


def _boundary_key(row):
    # Rows for every upgrade come first in their phase: the vendor clears
    # the way (old Jobs) before anything else.
    return (PHASES.index(row["phase"]), row["boundary"] is not None,
            Version.parse(row["boundary"]) if row["boundary"] else Version(0, 0, 0))


def builtin_steps():
    """The step rows of the collection's own table (data/upgrade_path.yml)."""
    from ansible_collections.dce5.skoala.plugins.module_utils import upgrade_path  # pylint: disable=import-outside-toplevel

    return upgrade_path.load_builtin()["steps"]


def steps_between(component, current, target, table=None):
    """Ordered steps an upgrade of ``component`` from ``current`` to ``target``
    needs, from the step rows ``table`` (None: the built-in ones); ``current``
    None is an install, which crosses no boundary. ``target`` at or below
    ``current`` (a re-upgrade in place or a downgrade) crosses none either:
    only the rows for every upgrade apply."""
    table = builtin_steps() if table is None else table
    target = Version.parse(target)
    current = Version.parse(current) if current is not None else None
    chosen = []
    for row in table:
        if row["component"] != component:
            continue
        if row["boundary"] is not None:
            boundary = Version.parse(row["boundary"])
            if current is None or not current < boundary <= target:
                continue
            if row.get("until") and target >= Version.parse(row["until"]):
                continue
        chosen.append(row)
    chosen.sort(key=_boundary_key)
    return [step_of(r) for r in chosen]


def step_of(row):
    params = dict(row["params"])
    return {
        "name": row["step"],
        "phase": row["phase"],
        "boundary": row["boundary"],
        "description": row.get("description") or row["step"],
        "params": params,
        "reads": ["chart:" + f for f in params.get("files") or []],
        "writes": step_writes(row["step"], params),
    }


def step_writes(name, params):
    """What a step changes, as names that must not repeat within one plan:
    two steps writing the same object would undo or trip over each other."""
    if name == "apply_crds":
        return ["crd-file:" + f for f in params["files"]]
    if name == "delete_jobs":
        return ["job:%s/%s" % (params["namespace"], j) for j in params["jobs"]]
    if name == "db_upgrade":
        return ["db-upgrade:" + params["sweet"]["tag"]]
    return ["step:" + name]


def chart_files(steps):
    """Files the steps read from the target chart, in first-use order: the
    chart is unpacked once per release and run for all of them."""
    out = []
    for step in steps:
        for ref in step.get("reads") or []:
            if ref.startswith("chart:") and ref[len("chart:"):] not in out:
                out.append(ref[len("chart:"):])
    return out


# --- image tags ---------------------------------------------------------------

SKOALA_IMAGES = ("hive", "sesame")
SKOALA_INIT_IMAGES = ("skoala-agent", "nacos-operator", "sentinel-operator")
SEATA_SINCE = "0.28.0"


def image_tag_values(component, target, ui_version=None):
    """The ``--set`` image tags for ``component`` at ``target``, as a flat
    mapping of value key to tag. The UI moves on its own: its tag is set only
    when ``ui_version`` is given."""
    target = Version.parse(target, "skoala_target_version")
    tags = {}
    if component == "skoala":
        for name in SKOALA_IMAGES:
            tags[name + ".image.tag"] = target.tag
        if ui_version:
            tags["ui.image.tag"] = Version.parse(ui_version, "skoala_ui_version").tag
    elif component == "skoala-init":
        names = list(SKOALA_INIT_IMAGES)
        if target >= Version.parse(SEATA_SINCE):
            names.append("seata-operator")
        for name in names:
            tags[name + ".image.tag"] = target.tag
    else:
        raise ValueError("unknown component '%s' (expected one of %s)" % (component, ", ".join(COMPONENTS)))
    return tags


def lookup_dotted(values, dotted):
    """values['a']['b']['c'] for 'a.b.c'; None where any part is missing."""
    node = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def image_drift(desired_tags, values):
    """Keys whose tag in the release's computed values differs from the one
    wanted, as ``{key: (current, wanted)}``."""
    drift = {}
    for key, wanted in sorted(desired_tags.items()):
        current = lookup_dotted(values or {}, key)
        if current != wanted:
            drift[key] = (current, wanted)
    return drift


# --- the plan -----------------------------------------------------------------

PENDING = ("pending-install", "pending-upgrade", "pending-rollback")


def pending_plans(plans):
    """The plans recover_pending acts on: releases stuck in a pending state
    whose plan is an upgrade (with skoala_recover_pending; without it the
    plan refuses them)."""
    return [p for p in plans or [] if p.get("status") in PENDING and p.get("action") == "upgrade"]


def recover_command(release, namespace, kubeconfig=None, context=None):
    """The command an operator runs to recover a release stuck in pending-*."""
    cmd = "helm rollback %s -n %s" % (release, namespace)
    if kubeconfig:
        cmd += " --kubeconfig %s" % kubeconfig
    if context:
        cmd += " --kube-context %s" % context
    return cmd


def plan(component, current, target, available=None, allow_downgrade=False,
         status=None, desired_tags=None, current_values=None, recover_pending=False,
         release=None, namespace=NAMESPACE, kubeconfig=None, context=None, unfinished=None, table=None):
    """The plan for one release.

    ``current``: the deployed chart version, or None when not installed.
    ``available``: chart versions the repo or bundle offers (None: not checked).
    ``status``: Helm's status of the release (deployed, failed, pending-*...).
    ``desired_tags`` / ``current_values``: image tags wanted and the release's
    computed values; a release at the target chart whose tags differ still
    needs an upgrade.
    ``unfinished``: the cluster's record of an upgrade of this release whose
    steps after the chart did not all run (``{"from", "target"}``, see
    module_utils/unfinished.py); at that target, they run now (``finish``).
    ``table``: the step rows (module_utils/upgrade_path.py); None: the built-in ones.

    Returns a dict: component, release, current, target, action (install,
    upgrade, finish, none, refuse), reason, steps (ordered), chart_files,
    image_tags, warnings.
    """
    if component not in COMPONENTS:
        raise ValueError("unknown component '%s' (expected one of %s)" % (component, ", ".join(COMPONENTS)))
    release = release or component
    target_v = Version.parse(target, "skoala_target_version")
    current_v = Version.parse(current, "current chart of %s" % release) if current else None
    result = {
        "component": component,
        "release": release,
        "namespace": namespace,
        "current": str(current_v) if current_v else None,
        "target": str(target_v),
        "status": status,
        "action": None,
        "reason": "",
        "steps": [],
        "chart_files": [],
        "image_tags": dict(desired_tags or {}),
        "warnings": [],
    }

    def decide(action, reason, steps=()):
        result["action"] = action
        result["reason"] = reason
        result["steps"] = list(steps)
        result["chart_files"] = chart_files(result["steps"])
        return result

    if available is not None:
        offered = set()
        for v in available:
            try:
                offered.add(Version.parse(v))
            except VersionError:
                continue  # a repo may hold versions we cannot read; they are never targets
        if target_v not in offered:
            newest = sorted(offered)[-3:]
            return decide("refuse", "version %s of chart %s is not in the chart source (newest there: %s)"
                          % (target_v, component, ", ".join(str(v) for v in newest) or "none"))

    recover = []
    if status in PENDING:
        command = recover_command(release, namespace, kubeconfig, context)
        if not recover_pending:
            return decide("refuse", "release %s is stuck in %s; recover it with `%s` "
                          "or set skoala_recover_pending: true" % (release, status, command))
        recover = [{"name": "recover_pending", "phase": "pre", "boundary": None,
                    "description": "roll %s back to its last deployed revision (was %s)" % (release, status),
                    "params": {"status": status}}]

    if current_v is None:
        if target_v < Version.parse(MIN_INSTALL):
            return decide("refuse", "installing %s below %s needs the database tables created by hand; "
                          "install %s or later" % (component, MIN_INSTALL, MIN_INSTALL))
        return decide("install", "%s is not installed" % release, recover + steps_between(component, None, target_v, table))

    if target_v < current_v:
        if not allow_downgrade:
            return decide("refuse", "%s is at %s; %s would be a downgrade (set skoala_allow_downgrade: true "
                          "to allow it)" % (release, current_v, target_v))
        result["warnings"].append("downgrade from %s to %s: no version steps run in reverse" % (current_v, target_v))
        return decide("upgrade", "downgrade allowed by skoala_allow_downgrade",
                      recover + steps_between(component, current_v, target_v, table))

    steps = recover + steps_between(component, current_v, target_v, table)
    # A run that took the chart to the current version stopped before its
    # steps after the chart: they are owed, whatever this run's target.
    owed = owed_steps(component, unfinished, current_v, target_v, table)
    steps = sorted(steps + [s for s in owed if s not in steps], key=_boundary_key)
    if target_v > current_v:
        return decide("upgrade", "%s -> %s" % (current_v, target_v), steps)

    drift = image_drift(desired_tags or {}, current_values) if current_values is not None else {}
    if drift:
        keys = ", ".join("%s %s -> %s" % (k, c, w) for k, (c, w) in drift.items())
        return decide("upgrade", "chart at %s but image tags differ: %s" % (target_v, keys), steps)
    if status == "failed":
        return decide("upgrade", "release is at %s but in state failed" % target_v, steps)
    if recover:
        return decide("upgrade", "release is at %s but stuck in %s" % (target_v, status), steps)
    if unfinished_at(unfinished, current_v):
        return decide("finish", "the run that took %s from %s to %s stopped before its steps after the chart"
                      % (release, unfinished.get("from") or "(new)", target_v), owed)
    return decide("none", "already at %s" % target_v)


def unfinished_at(unfinished, version):
    """Whether ``unfinished`` records an upgrade that reached ``version``."""
    return bool(unfinished and unfinished.get("target")) and Version.parse(unfinished["target"]) == version


def owed_steps(component, unfinished, current, target, table=None):
    """The steps after the chart that the run recorded in ``unfinished``
    still owes, as they apply on the way to ``target`` (the files come from
    the target chart); none when the record is not about ``current``."""
    if not unfinished_at(unfinished, current) or not unfinished.get("from"):
        return []
    start = Version.parse(unfinished["from"])
    return [s for s in steps_between(component, start, max(current, target), table) if s["phase"] == "post"]


def fleet_problems(plans):
    """Problems visible only across clusters: every release must end at one
    version (skoala and skoala-init move together)."""
    targets = {}
    for host, host_plans in sorted(plans.items()):
        for p in host_plans:
            targets.setdefault(p["target"], []).append("%s/%s" % (host, p["component"]))
    problems = []
    if len(targets) > 1:
        parts = ["%s: %s" % (t, ", ".join(who)) for t, who in sorted(targets.items(), key=lambda kv: Version.parse(kv[0]))]
        problems.append("skoala and skoala-init must end at one version, but the targets differ (%s); "
                        "set skoala_target_version once for the whole inventory" % "; ".join(parts))
    return problems
