# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # How the modules that read one cluster reach it; one text for all of them.
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description: Path of the cluster's kubeconfig file.
    type: path
    required: true
  context:
    description: Context in the kubeconfig; the current context if not set.
    type: str
"""
