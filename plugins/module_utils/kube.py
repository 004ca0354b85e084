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


KUBE_ARGS = dict(
    kubeconfig=dict(type="path"),
    context=dict(type="str"),
)


def api_client(kubeconfig=None, context=None):
    return config.new_client_from_config(config_file=kubeconfig, context=context or None)


class Kube(object):
    def __init__(self, kubeconfig=None, context=None):
        api = api_client(kubeconfig, context)
        self.core = client.CoreV1Api(api)
        self.batch = client.BatchV1Api(api)
        self.api = api

    def read(self, kind, name, namespace):
        try:
            if kind == "Job":
                obj = self.batch.read_namespaced_job(name, namespace)
            elif kind == "ConfigMap":
                obj = self.core.read_namespaced_config_map(name, namespace)
            elif kind == "Secret":
                obj = self.core.read_namespaced_secret(name, namespace)
            else:
                raise ValueError(kind)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return self.api.sanitize_for_serialization(obj)

    def create(self, obj):
        ns = obj["metadata"]["namespace"]
        kind = obj["kind"]
        if kind == "Job":
            created = self.batch.create_namespaced_job(ns, obj)
        elif kind == "ConfigMap":
            created = self.core.create_namespaced_config_map(ns, obj)
        elif kind == "Secret":
            created = self.core.create_namespaced_secret(ns, obj)
        else:
            raise ValueError(kind)
        return self.api.sanitize_for_serialization(created)

    def replace_or_create(self, obj):
        existing = self.read(obj["kind"], obj["metadata"]["name"], obj["metadata"]["namespace"])
        if existing is None:
            return self.create(obj)
        self.delete(obj["kind"], obj["metadata"]["name"], obj["metadata"]["namespace"])
        return self.create(obj)

    def delete(self, kind, name, namespace):
        body = client.V1DeleteOptions(propagation_policy="Background")
        try:
            if kind == "Job":
                self.batch.delete_namespaced_job(name, namespace, body=body)
            elif kind == "ConfigMap":
                self.core.delete_namespaced_config_map(name, namespace, body=body)
            elif kind == "Secret":
                self.core.delete_namespaced_secret(name, namespace, body=body)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def set_owner(self, kind, name, namespace, owner):
        patch = {"metadata": {"ownerReferences": [{
            "apiVersion": "batch/v1", "kind": "Job", "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "blockOwnerDeletion": False}]}}
        if kind == "Secret":
            self.core.patch_namespaced_secret(name, namespace, patch)
        else:
            self.core.patch_namespaced_config_map(name, namespace, patch)

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
