# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""A plan's image tags as Helm ``--set`` values, and the tag each workload
must then run (what verify checks).

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
