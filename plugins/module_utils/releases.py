# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Helm releases and chart repositories as plain data: a release as
kubernetes.core.helm_info reads it, without its (secret) values, and the
versions a chart repository offers.

Pure functions; the filter plugin ``dce5.skoala.skoala`` exposes them to roles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dce5.skoala.plugins.module_utils import versions


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


def release_summaries(helm_info_results):
    """release_summary for each result of a helm_info task looped over components."""
    return {r["item"]: release_summary(r, r["item"]) for r in helm_info_results}


def chart_versions(index, chart):
    """Versions of ``chart`` in a Helm repository index (parsed index.yaml)."""
    if not isinstance(index, dict):
        return []
    entries = (index.get("entries") or {}).get(chart) or []
    return [str(e.get("version")) for e in entries if isinstance(e, dict) and e.get("version") is not None]
