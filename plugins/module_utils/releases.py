# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Helm releases and chart repositories as plain data: a release as
kubernetes.core.helm_info reads it, or as Helm stores it in its release
Secrets, without its (secret) values; and the versions a chart repository
offers.

Pure functions; the filter plugin ``dce5.skoala.skoala`` exposes them to roles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import gzip
import json
import re

from ansible_collections.dce5.skoala.plugins.module_utils import versions


def helm_read_of(helm_result, release):
    """kubernetes.core.helm's result when it upgraded ``release``: the module
    reads the release back after the upgrade, the way helm_info would, so a
    check right after needs no read of its own. ``{}`` for anything else (a
    skipped or failed task, another release, no result), and the caller reads."""
    helm_result = helm_result or {}
    status = helm_result.get("status") or {}
    if helm_result.get("failed") or helm_result.get("skipped") or status.get("name") != release:
        return {}
    return helm_result


def release_summary(helm_info_result, component):
    """What the plan needs from kubernetes.core.helm_info's result, without
    the values (they hold the DSN): chart, version, status, revision, when it
    was last deployed, and the image tags from the computed values."""
    status = (helm_info_result or {}).get("status") or {}
    if not status:
        return {"installed": False, "chart": "", "version": None, "status": None,
                "revision": None, "app_version": None, "last_deployed": None, "image_tags": {}}
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
        # Helm's record (info.last_deployed); helm_info's list row calls it "updated".
        "last_deployed": status.get("last_deployed") or status.get("updated"),
        "image_tags": tags,
    }


def other_release(helm_info_result):
    """A release that is not skoala's (global management, say): chart,
    version (of the chart, as Helm records it), status. ``installed`` False
    when Helm has no record of it."""
    status = (helm_info_result or {}).get("status") or {}
    if not status:
        return {"installed": False, "chart": "", "version": None, "status": None}
    chart = status.get("chart") or ""
    # Whatever the chart is called: its version is what follows the first "-<digit>".
    found = re.search(r"-(v?\d+\.\d+\.\d+\S*)$", chart)
    version = found.group(1) if found else None
    try:
        version = str(versions.Version.parse(version)) if version else None
    except versions.VersionError:
        version = None
    return {"installed": True, "chart": chart, "version": version, "status": status.get("status")}


def release_summaries(helm_info_results):
    """release_summary for each result of a helm_info task looped over components."""
    return {r["item"]: release_summary(r, r["item"]) for r in helm_info_results}


def chart_versions(index, chart):
    """Versions of ``chart`` in a Helm repository index (parsed index.yaml)."""
    if not isinstance(index, dict):
        return []
    entries = (index.get("entries") or {}).get(chart) or []
    return [str(e.get("version")) for e in entries if isinstance(e, dict) and e.get("version") is not None]


# --- Helm's own records: the release Secrets (driver "secret", Helm 3) ------

def decode_release(payload):
    """Helm's release record from the ``release`` field of its Secret as the
    API returns it: base64 (the Secret's encoding) of base64 of gzipped JSON."""
    raw = base64.b64decode(base64.b64decode(payload))
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return json.loads(raw.decode("utf-8"))


def coalesce_values(defaults, overrides):
    """The chart's values with the release's own over them, as ``helm get
    values --all`` computes them: maps merge key by key, anything else is
    replaced, and a null override removes the key."""
    if not isinstance(defaults, dict) or not isinstance(overrides, dict):
        return overrides if overrides is not None else defaults
    merged = dict(defaults)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce_values(merged[key], value)
        else:
            merged[key] = value
    return merged


def _revision(secret):
    version = str((((secret.get("metadata") or {}).get("labels")) or {}).get("version", ""))
    return int(version) if version.isdigit() else -1


def latest_release(secrets):
    """What kubernetes.core.helm_info (release_state all, get_all_values)
    returns for a release, from its Secrets: Helm's newest revision whatever
    its state, with the computed values, plus the user-supplied ones
    (``user_values``, what ``helm get values`` shows) and when it was last
    deployed. {} when there is none."""
    secrets = [s for s in secrets or [] if _revision(s) >= 0]
    if not secrets:
        return {}
    record = decode_release(((max(secrets, key=_revision).get("data") or {}).get("release")) or "")
    chart = record.get("chart") or {}
    meta = chart.get("metadata") or {}
    return {"status": {
        "chart": "%s-%s" % (meta.get("name"), meta.get("version")),
        "status": (record.get("info") or {}).get("status"),
        "revision": record.get("version"),
        "app_version": meta.get("appVersion"),
        "values": coalesce_values(chart.get("values") or {}, record.get("config") or {}),
        "user_values": record.get("config") or {},
        "last_deployed": (record.get("info") or {}).get("last_deployed"),
    }}


def deployed_problem(summary, host, plan):
    """verify's check of a release after its upgrade: '' when ``summary``
    (release_summary's) is deployed at the plan's target, else what is wrong."""
    summary = summary or {}
    if summary.get("status") == "deployed" and summary.get("version") == plan["target"]:
        return ""
    return "%s: %s is %s (%s), expected %s-%s deployed." % (
        host, plan["release"], summary.get("chart") or "not installed", summary.get("status"),
        plan["component"], plan["target"])
