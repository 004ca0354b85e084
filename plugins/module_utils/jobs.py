# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The database upgrade Job (skoala's ``sweet``): objects to create, a
user's job.yaml patched, and the Job's state read back. Pure functions."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json
import traceback

try:
    import yaml
except ImportError:  # reported by the module (missing_required_lib)
    yaml = None
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    YAML_IMPORT_ERROR = None

from ansible_collections.dce5.skoala.plugins.module_utils import secrets
from ansible_collections.dce5.skoala.plugins.module_utils.connection import CONNECTION_ARGS

MANAGED_BY = "dce5.skoala"
LABEL_COMPONENT = "dce5.skoala/component"
LABEL_SWEET = "dce5.skoala/sweet"
DEFAULT_NAME = "skoala-db-upgrade"
DEFAULT_IMAGE = "release.daocloud.io/skoala/sweet"
SWEET_DEFAULTS = {"type": "UPGRADE", "target": "0.17.0", "tag": "v0.19.0"}
CONFIG_MOUNT = "/etc/sweet"
MASK = secrets.MASK


# The module's arguments; its action plugin checks a task against them too.
ARGUMENT_SPEC = dict(
    CONNECTION_ARGS,
    namespace=dict(type="str", default="skoala-system"),
    name=dict(type="str", default=DEFAULT_NAME),
    sweet=dict(type="dict", default={}, options=dict(
        type=dict(type="str", default=SWEET_DEFAULTS["type"]),
        target=dict(type="str", default=SWEET_DEFAULTS["target"]),
        tag=dict(type="str", default=SWEET_DEFAULTS["tag"]),
    )),
    database=dict(type="dict", options=dict(
        driver=dict(type="str", default="mysql"),
        dsn=dict(type="str", required=True, no_log=True),
    )),
    image_repository=dict(type="str", default=DEFAULT_IMAGE),
    image_tag=dict(type="str"),
    image_registry=dict(type="str"),
    job_manifest=dict(type="path"),
    backoff_limit=dict(type="int", default=0),
    cleanup=dict(type="str", choices=["ttl", "delete_on_success", "keep"], default="delete_on_success"),
    ttl_seconds=dict(type="int", default=3600),
    pod_labels=dict(type="dict", default={}),
    state=dict(type="str", choices=["present", "status"], default="present"),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=600),
    poll_interval=dict(type="float", default=2),
)


def sweet_settings(sweet=None):
    settings = dict(SWEET_DEFAULTS)
    settings.update({k: v for k, v in (sweet or {}).items() if v not in (None, "")})
    return settings


def sweet_key(sweet):
    """A short stable key for one sweet setting, used in labels and names."""
    raw = json.dumps(sweet_settings(sweet), sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:10]


def labels(sweet):
    return {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/name": "sweet",
        LABEL_COMPONENT: "db-upgrade",
        LABEL_SWEET: sweet_key(sweet),
    }


def image_ref(repository, tag, registry=None):
    """``registry`` replaces the registry part of ``repository`` (offline)."""
    if registry:
        first, dummy, rest = repository.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            repository = rest
        repository = registry.rstrip("/") + "/" + repository
    return "%s:%s" % (repository, tag)


def build_objects(name, namespace, sweet, database, image, backoff_limit=0, ttl_seconds=None,
                  extra_labels=None, pod_labels=None):
    """ConfigMap (sweet settings), Secret (database connection) and Job.

    The DSN reaches the container only as a file from the Secret: never in an
    environment value, an argument, or the Job spec."""
    sweet = sweet_settings(sweet)
    common = dict(labels(sweet), **(extra_labels or {}))
    config = {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name + "-config", "namespace": namespace, "labels": common},
        "data": {"sweet.yaml": yaml.safe_dump({"sweet": sweet}, sort_keys=False)},
    }
    secret = {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": name + "-database", "namespace": namespace, "labels": common},
        "stringData": {"database.yaml": yaml.safe_dump({"database": [
            {"driver": database.get("driver") or "mysql", "dsn": database["dsn"]}]}, sort_keys=False)},
    }
    job_spec = {
        "backoffLimit": backoff_limit,
        "template": {
            "metadata": {"labels": dict(common, **(pod_labels or {}))},
            "spec": {
                "restartPolicy": "Never",
                "containers": [{
                    "name": "sweet",
                    "image": image,
                    "args": ["--config", CONFIG_MOUNT + "/sweet.yaml",
                             "--database-config", CONFIG_MOUNT + "/database/database.yaml"],
                    "volumeMounts": [
                        {"name": "sweet-config", "mountPath": CONFIG_MOUNT, "readOnly": True},
                        {"name": "database", "mountPath": CONFIG_MOUNT + "/database", "readOnly": True},
                    ],
                }],
                "volumes": [
                    {"name": "sweet-config", "configMap": {"name": config["metadata"]["name"]}},
                    {"name": "database", "secret": {"secretName": secret["metadata"]["name"]}},
                ],
                "tolerations": [{"operator": "Exists"}],
            },
        },
    }
    if ttl_seconds is not None:
        job_spec["ttlSecondsAfterFinished"] = ttl_seconds
    job = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": common},
        "spec": job_spec,
    }
    return {"configmap": config, "secret": secret, "job": job}


def masked(objects):
    """The objects with every Secret value masked, for diff and check mode."""
    out = copy.deepcopy(objects)
    for obj in out.values() if isinstance(out, dict) else out:
        if obj.get("kind") == "Secret":
            for field in ("stringData", "data"):
                if obj.get(field):
                    obj[field] = {k: MASK for k in obj[field]}
    return out


def _patch_sweet_in(node, sweet):
    """Set sweet fields wherever a ``sweet`` mapping appears; True if any."""
    found = False
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "sweet" and isinstance(value, dict):
                value.update(sweet)
                found = True
            else:
                found = _patch_sweet_in(value, sweet) or found
    elif isinstance(node, list):
        for value in node:
            found = _patch_sweet_in(value, sweet) or found
    return found


def patch_user_manifest(text, sweet):
    """The operator's job.yaml with the ``sweet`` type/target/tag set, as the
    vendor's page instructs, and nothing else changed. ``sweet`` may sit in
    any document, directly or inside a ConfigMap's YAML data. Returns the list
    of documents; raises ValueError when no ``sweet`` block or no Job exists."""
    sweet = sweet_settings(sweet)
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    if not any(isinstance(d, dict) and d.get("kind") == "Job" for d in docs):
        raise ValueError("the job manifest has no Job")
    found = False
    for doc in docs:
        if _patch_sweet_in(doc, sweet):
            found = True
        if isinstance(doc, dict) and doc.get("kind") == "ConfigMap":
            for key, value in (doc.get("data") or {}).items():
                try:
                    inner = yaml.safe_load(value)
                except yaml.YAMLError:
                    continue
                if isinstance(inner, (dict, list)) and _patch_sweet_in(inner, sweet):
                    doc["data"][key] = yaml.safe_dump(inner, sort_keys=False)
                    found = True
    if not found:
        raise ValueError("the job manifest has no sweet block to set type/target/tag in")
    return docs


def job_state(job):
    """complete / failed / running, from a Job's conditions."""
    if not job:
        return "absent"
    conditions = (job.get("status") or {}).get("conditions") or []
    for c in conditions:
        if c.get("status") == "True" and c.get("type") in ("Complete", "SuccessCriteriaMet"):
            return "complete"
    for c in conditions:
        if c.get("status") == "True" and c.get("type") in ("Failed", "FailureTarget"):
            return "failed"
    return "running"


def describe(job, pods):
    """What an operator needs when the Job did not succeed: conditions and pod phases."""
    lines = []
    for c in (job or {}).get("status", {}).get("conditions") or []:
        lines.append("condition %s=%s %s: %s" % (c.get("type"), c.get("status"), c.get("reason") or "",
                                                 c.get("message") or ""))
    for pod in pods or []:
        status = pod.get("status") or {}
        waiting = []
        for cs in status.get("containerStatuses") or []:
            state = cs.get("state") or {}
            for kind in ("waiting", "terminated"):
                if state.get(kind):
                    waiting.append("%s %s %s" % (cs.get("name"), kind, state[kind].get("reason") or
                                                 state[kind].get("message") or ""))
        lines.append("pod %s: %s%s" % (pod["metadata"]["name"], status.get("phase", "Unknown"),
                                       (" (" + "; ".join(waiting) + ")") if waiting else ""))
    return lines


def json_dumps(value):
    return json.dumps(value, sort_keys=True)


def references(names, namespace):
    """The Jobs ``names`` in ``namespace`` as the minimal objects
    kubernetes.core.k8s takes in ``definition``: one module run for them all."""
    return [{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": namespace}}
            for name in names]
