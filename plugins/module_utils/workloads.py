# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Readiness of the workloads in a namespace (and of its pods), and the
image tags they run.

Pure functions over the objects k8s_info (or the API client) returns.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dce5.skoala.plugins.module_utils.connection import CONNECTION_ARGS


def workload_ready(obj):
    """(ready, why) for one Deployment or StatefulSet."""
    kind = obj.get("kind")
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    wanted = spec.get("replicas", 1)
    if wanted is None:
        wanted = 1
    generation = meta.get("generation")
    observed = status.get("observedGeneration")
    if generation is not None and (observed is None or observed < generation):
        return False, "spec not yet observed"
    ready = status.get("readyReplicas") or 0
    updated = status.get("updatedReplicas") or 0
    if kind == "Deployment":
        available = status.get("availableReplicas") or 0
        if updated < wanted:
            return False, "%d/%d updated" % (updated, wanted)
        if available < wanted:
            return False, "%d/%d available" % (available, wanted)
        if (status.get("replicas") or 0) > wanted:
            return False, "old replicas terminating"
        return True, "%d/%d available" % (available, wanted)
    if ready < wanted:
        return False, "%d/%d ready" % (ready, wanted)
    if kind == "StatefulSet" and status.get("updateRevision") and \
            status.get("currentRevision") != status.get("updateRevision") and updated < wanted:
        return False, "%d/%d updated" % (updated, wanted)
    return True, "%d/%d ready" % (ready, wanted)


def readiness(objects):
    """Summary of many workloads: total, ready, and the waiting ones with why."""
    waiting = []
    ready = 0
    for obj in objects:
        ok, why = workload_ready(obj)
        name = "%s/%s" % (obj.get("kind", "?"), (obj.get("metadata") or {}).get("name", "?"))
        if ok:
            ready += 1
        else:
            waiting.append("%s (%s)" % (name, why))
    return {"total": len(objects), "ready": ready, "waiting": sorted(waiting), "done": not waiting}


def images(objects):
    """Container images per workload: {kind/name: [image, ...]}."""
    out = {}
    for obj in objects:
        name = "%s/%s" % (obj.get("kind", "?"), (obj.get("metadata") or {}).get("name", "?"))
        containers = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
        out[name] = [c.get("image", "") for c in containers]
    return out


def image_mismatches(objects, expected):
    """Workloads whose images do not match ``expected``: a mapping of
    workload name (Deployment or StatefulSet name) to the tag or the full
    image reference its containers must run."""
    problems = []
    by_name = {}
    for obj in objects:
        by_name[(obj.get("metadata") or {}).get("name")] = obj
    for name, want in sorted((expected or {}).items()):
        obj = by_name.get(name)
        if obj is None:
            problems.append("%s: workload not found" % name)
            continue
        for image in images([obj]).popitem()[1]:
            if "/" in want or ":" in want:
                ok = image == want
            else:
                ok = image.rsplit(":", 1)[-1] == want if ":" in image.rsplit("/", 1)[-1] else False
            if not ok:
                problems.append("%s: runs %s, expected %s" % (name, image, want))
    return problems


def statefulset_readiness(sts):
    """found/ready/replicas of a StatefulSet as the API returns it."""
    return {"found": True,
            "ready": (sts.get("status") or {}).get("readyReplicas") or 0,
            "replicas": (sts.get("spec") or {}).get("replicas", 1)}


def unready_pods(pods):
    """Names (and phases) of pods that are not Ready. A pod that ran to
    completion (a Job's, phase Succeeded) is never Ready and is fine."""
    out = []
    for pod in pods or []:
        if (pod.get("status") or {}).get("phase") == "Succeeded":
            continue
        conditions = (pod.get("status") or {}).get("conditions") or []
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        if not ready:
            out.append("%s (%s)" % (pod["metadata"]["name"], (pod.get("status") or {}).get("phase", "Unknown")))
    return sorted(out)


# Arguments of dce5.skoala.wait_ready (an action plugin; its module file is documentation).
WAIT_READY_ARGUMENT_SPEC = dict(
    CONNECTION_ARGS,
    namespace=dict(type="str", required=True),
    kinds=dict(type="list", elements="str", default=["Deployment", "StatefulSet"]),
    timeout=dict(type="int", default=300),
    interval=dict(type="float", default=2.0),
    expected_images=dict(type="dict", default={}),
    label=dict(type="str"),
)
