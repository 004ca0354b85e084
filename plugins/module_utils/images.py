# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""A plan's image tags as Helm ``--set`` values, the tag each workload
must then run (what verify checks), and the command that loads images into
a node's container runtime when a cluster has no registry.

Pure functions; the filter plugin ``dce5.skoala.skoala`` exposes them to roles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Value key prefix -> workload name, where they differ.
WORKLOAD_OF_VALUE = {"ui": "skoala-ui"}


def set_values(image_tags, image_registry=None):
    """kubernetes.core.helm ``set_values`` for the image tags (and the
    registry), as strings so ``v0.28.1`` never turns into anything else."""
    out = [{"value": "%s=%s" % (k, v), "value_type": "string"} for k, v in sorted((image_tags or {}).items())]
    if image_registry:
        out.append({"value": "global.imageRegistry=%s" % image_registry, "value_type": "string"})
    return out


def expected_images(image_tags):
    """Workload name -> tag, from the plan's ``--set`` image tags."""
    out = {}
    for key, tag in (image_tags or {}).items():
        name = key[: -len(".image.tag")] if key.endswith(".image.tag") else key
        out[WORKLOAD_OF_VALUE.get(name, name)] = tag
    return out


def node_cli(runtime, ctr_binary="ctr", containerd_address="", docker_binary="docker"):
    """The start of a node's container runtime command: containerd's ctr in
    the namespace the kubelet's images live in (k8s.io), or docker."""
    if runtime != "containerd":
        return [docker_binary]
    return [ctr_binary] + (["--address", containerd_address] if containerd_address else []) + ["-n", "k8s.io"]
