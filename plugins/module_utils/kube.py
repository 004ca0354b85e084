# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""A Kubernetes API client from a kubeconfig and context, for the modules
kubernetes.core has no answer for (the DB upgrade Job)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

KUBERNETES_IMPORT_ERROR = None
try:
    from kubernetes import client, config
    from kubernetes.client.rest import ApiException
except ImportError:
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()
    client = config = None

    class ApiException(Exception):
        status = None


def api_client(kubeconfig=None, context=None):
    return config.new_client_from_config(config_file=kubeconfig, context=context or None)


class Kube(object):
    # kind -> (API attribute, method suffix) of the namespaced calls used here
    KINDS = {
        "Job": ("batch", "job"),
        "ConfigMap": ("core", "config_map"),
        "Secret": ("core", "secret"),
    }

    def __init__(self, kubeconfig=None, context=None):
        api = api_client(kubeconfig, context)
        self.core = client.CoreV1Api(api)
        self.batch = client.BatchV1Api(api)
        self.api = api

    def _call(self, verb, kind, *args, **kwargs):
        api, suffix = self.KINDS[kind]
        return getattr(getattr(self, api), "%s_namespaced_%s" % (verb, suffix))(*args, **kwargs)

    def read(self, kind, name, namespace):
        try:
            obj = self._call("read", kind, name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return self.api.sanitize_for_serialization(obj)

    def create(self, obj):
        created = self._call("create", obj["kind"], obj["metadata"]["namespace"], obj)
        return self.api.sanitize_for_serialization(created)

    def replace_or_create(self, obj):
        name, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
        if self.read(obj["kind"], name, namespace) is not None:
            self.delete(obj["kind"], name, namespace)
        return self.create(obj)

    def delete(self, kind, name, namespace):
        body = client.V1DeleteOptions(propagation_policy="Background")
        try:
            self._call("delete", kind, name, namespace, body=body)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def set_owner(self, kind, name, namespace, owner):
        patch = {"metadata": {"ownerReferences": [{
            "apiVersion": "batch/v1", "kind": "Job", "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "blockOwnerDeletion": False}]}}
        self._call("patch", kind, name, namespace, patch)

    def job_pods(self, job_name, namespace):
        pods = self.core.list_namespaced_pod(namespace, label_selector="job-name=%s" % job_name)
        return self.api.sanitize_for_serialization(pods).get("items") or []

    def pod_log_tail(self, pod, namespace, lines=40):
        try:
            return self.core.read_namespaced_pod_log(pod, namespace, tail_lines=lines)
        except ApiException as exc:
            return "(no logs: %s %s)" % (exc.status, exc.reason)
        except Exception as exc:  # noqa: BLE001 - logs are best effort
            return "(no logs: %s)" % exc

    def ensure_namespace(self, namespace):
        try:
            self.core.read_namespace(namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
            self.core.create_namespace({"metadata": {"name": namespace}})
