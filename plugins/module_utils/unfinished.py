# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""A record, in the cluster, of an upgrade whose steps after the chart have
not all run yet.

Helm knows the chart reached the target; it does not know that the CRD
files after it were applied. A run killed or failed between the two would
leave a release that looks done. So before the chart changes, the run writes
a ConfigMap naming the release, where it came from and where it goes; it
deletes it once the last step after the chart has run. Preflight reads these
records, and the plan finishes the steps of a release that has one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

LABEL = "dce5.skoala/unfinished-upgrade"
MANAGED_BY = "dce5.skoala"


def configmap_name(release):
    return "dce5-skoala-unfinished-%s" % release


def configmap(release, namespace, current, target):
    """The record for an upgrade of ``release`` from ``current`` to ``target``."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": configmap_name(release),
            "namespace": namespace,
            "labels": {LABEL: "true", "app.kubernetes.io/managed-by": MANAGED_BY},
        },
        "data": {"release": release, "from": current or "", "target": target},
    }


def read_records(configmaps):
    """release -> {"from", "target"} from the ConfigMaps carrying the label
    (as the API returns them); records that are not whole are ignored."""
    out = {}
    for cm in configmaps or []:
        data = (cm or {}).get("data") or {}
        if data.get("release") and data.get("target"):
            out[data["release"]] = {"from": data.get("from") or None, "target": data["target"]}
    return out
