#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: helm_upgrade
short_description: Run one helm upgrade --install that preflight has already planned
version_added: 0.1.0
description:
  - Runs C(helm upgrade --install) once and returns the release as
    M(kubernetes.core.helm) returns it (C(status)), read from helm's own
    JSON output.
  - Unlike M(kubernetes.core.helm) it does not decide whether the release
    would change (that module lists the release, reads its values, fetches
    the chart's metadata and renders a helm-diff first). The caller upgrades
    only releases its plan says need it; it always reports C(changed).
  - Use M(kubernetes.core.helm) in check mode for the diff; in check mode
    this module runs nothing and returns the command it would run.
author:
  - dce5.skoala contributors (@dce5-skoala)
extends_documentation_fragment:
  - dce5.skoala.cluster_connection
options:
  binary_path:
    description: The helm binary.
    type: path
    default: helm
  release_name:
    description: Release to upgrade or install.
    type: str
    required: true
  release_namespace:
    description: Namespace of the release.
    type: str
    required: true
  chart_ref:
    description:
      - Chart reference, C(repo/chart), or the path of a chart archive or
        directory.
    type: str
    required: true
  chart_version:
    description: Chart version (C(--version)); not for a local chart.
    type: str
  values_files:
    description: Values files, passed in order (C(--values)).
    type: list
    elements: path
    default: []
  release_values:
    description:
      - Values passed after the values files, through a temporary file of
        mode 0600 that is removed afterwards.
    type: dict
    default: {}
  set_values:
    description:
      - Values set one by one, as M(kubernetes.core.helm) takes them.
      - C(value) is C(key=value); C(value_type) is C(raw) (C(--set)),
        C(string) (C(--set-string)), C(json), C(file) or C(literal).
    type: list
    elements: dict
    default: []
  reset_values:
    description: Pass C(--reset-values).
    type: bool
    default: false
  create_namespace:
    description: Pass C(--create-namespace).
    type: bool
    default: false
  atomic:
    description: Pass C(--atomic).
    type: bool
    default: false
  wait:
    description: Pass C(--wait).
    type: bool
    default: false
  wait_timeout:
    description: Pass C(--timeout), such as C(600s).
    type: str
  batch_result:
    description:
      - The registered result of a M(dce5.skoala.fleet_helm_upgrade) task
        that upgraded this cluster's batch (run once for the batch, over a
        loop).
      - When it holds this cluster (the inventory host), the module runs no
        helm and returns that cluster's upgrade as if it had run it, either
        C(changed) or a failure with helm's message. Otherwise (no entry for
        this cluster, or check mode) it runs helm itself. One task per
        cluster then serves a batch and a role used alone.
    type: dict
notes:
  - Supports check mode (it runs nothing then).
  - Give the task C(no_log) when the values hold secrets.
requirements:
  - helm 3
"""

EXAMPLES = r"""
- name: Upgrade skoala-init to the planned version
  dce5.skoala.helm_upgrade:
    kubeconfig: ~/.kube/worker-a.yaml
    release_name: skoala-init
    release_namespace: skoala-system
    chart_ref: skoala/skoala-init
    chart_version: 0.28.1
    reset_values: true
    values_files:
      - ./backups/worker-a/skoala-init-20260101T000000Z-1a2b-rev3.values.yaml
    set_values:
      - value: skoala-init.image.tag=v0.28.1
        value_type: string
    wait: true
    wait_timeout: 600s
  no_log: true

# Each cluster of a batch that dce5.skoala.fleet_helm_upgrade upgraded reads
# its own upgrade from the batch's result; any other cluster runs helm here.
- name: Upgrade skoala-init, or take this cluster's upgrade from the batch's
  dce5.skoala.helm_upgrade:
    kubeconfig: "{{ skoala_kubeconfig }}"
    release_name: skoala-init
    release_namespace: skoala-system
    chart_ref: skoala/skoala-init
    chart_version: 0.28.1
    wait: true
    batch_result: "{{ batch_helm_run | default({}) }}"
  register: helm_upgraded
  no_log: true
"""

RETURN = r"""
status:
  description:
    - The release after the upgrade, as M(kubernetes.core.helm) returns it
      (the fields of C(helm list) and the user-supplied values). Empty in
      check mode.
  returned: always
  type: dict
  sample:
    name: skoala-init
    namespace: skoala-system
    revision: "4"
    updated: "2026-01-01T00:00:00Z"
    status: deployed
    chart: skoala-init-0.28.1
    app_version: 0.28.1
    values: {}
command:
  description: The helm command line.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dce5.skoala.plugins.module_utils import helm_upgrade


def values_file(module, values):
    """The extra values in a 0600 file, removed when the module exits."""
    path = helm_upgrade.write_values_file(module.tmpdir, values)
    module.add_cleanup_file(path)
    return path


def main():
    # batch_result is the action plugin's: it never reaches helm.
    module = AnsibleModule(argument_spec=dict(helm_upgrade.UPGRADE_OPTIONS, batch_result=dict(type="dict")),
                           supports_check_mode=True)
    result = helm_upgrade.upgrade(module.params, module.run_command, lambda values: values_file(module, values),
                                  module.check_mode)
    if result.pop("failed"):
        module.fail_json(**result)
    result.pop("msg")
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
