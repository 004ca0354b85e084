#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: upgrade_plan
short_description: Decide how to bring one skoala or skoala-init release to a target version
version_added: 0.1.0
description:
  - Computes, from what preflight read about a release, whether it must be
    installed, upgraded, left alone or refused, and which version-specific
    steps the path needs (database upgrade Job, deleting stale gateway
    admission Jobs, CRD files Helm would not upgrade).
  - Pure logic; talks to no cluster and changes nothing, in any mode.
  - The version boundaries and compatibility checks are data, read on the controller from the
    collection's C(data/upgrade_path.yml) (schema in C(docs/upgrade-path.md)); operators add rows
    with O(upgrade_path_extra) and drop steps with O(steps_skip).
  - Runs on the controller (an action plugin); the module file holds its documentation.
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  component:
    description: The chart the release is made from.
    type: str
    required: true
    choices: [skoala, skoala-init]
  target_version:
    description:
      - The version to end at, as C(X.Y.Z) or C(vX.Y.Z), pre-release suffixes allowed.
    type: str
    required: true
  current_chart:
    description:
      - The release's C(chart) field as Helm reports it, for example C(skoala-init-0.19.2).
      - Omit or leave empty when the release is not installed.
    type: str
  status:
    description:
      - Helm's status of the release (C(deployed), C(failed), C(pending-upgrade), ...).
    type: str
  available_versions:
    description:
      - Chart versions the chart source offers. The target must be among them.
      - Omit to skip that check.
    type: list
    elements: str
  allow_downgrade:
    description: Plan a move to a lower version instead of refusing it.
    type: bool
    default: false
  recover_pending:
    description:
      - Plan a rollback of a release stuck in C(pending-*) to its last deployed
        revision before the upgrade, instead of refusing.
    type: bool
    default: false
  ui_version:
    description:
      - The skoala UI image version (it moves on its own). Only for C(skoala);
        when omitted the chart's default UI tag is kept.
    type: str
  current_image_tags:
    description:
      - Image tags the release runs now, as value key to tag
        (C(hive.image.tag) to C(v0.28.1)). A release at the target chart
        version with other tags still needs an upgrade.
    type: dict
  release:
    description: The release name; defaults to the component name.
    type: str
  namespace:
    description: The release namespace.
    type: str
    default: skoala-system
  kubeconfig:
    description: Used only to spell out the recovery command for a pending release.
    type: str
  context:
    description: Used only to spell out the recovery command for a pending release.
    type: str
  unfinished:
    description:
      - The cluster's record of an earlier upgrade of this release whose steps
        after the chart did not all run (M(dce5.skoala.cluster_state) returns
        it as C(unfinished[release])). At that target the plan is C(finish)
        with those steps.
    type: dict
    suboptions:
      from:
        description: The chart version the earlier run upgraded from.
        type: str
      target:
        description: The chart version it upgraded to.
        type: str
        required: true
  upgrade_path_extra:
    description:
      - Rows added to the built-in table (the inventory's C(skoala_upgrade_path_extra)).
      - A step row has C(step) (one of C(db_upgrade), C(delete_jobs), C(apply_crds)), C(component), C(phase)
        (C(pre) or C(post)), C(boundary), optional C(until), C(params), C(description) and C(source).
      - A check row has C(check) (C(kubernetes) or C(global_management)), optional C(component), C(boundary),
        C(until), C(params), C(description) and C(source).
      - A row that is malformed, or repeats another, fails the task with a message that names the row and the field.
    type: list
    elements: raw
    default: []
  steps_skip:
    description:
      - Steps not to run (the inventory's C(skoala_upgrade_steps_skip)), as a step name (C(apply_crds))
        or one row as C(<step>@<boundary>) (C(apply_crds@0.52.1)). A skipped step that the path needed
        becomes a warning of the plan.
    type: list
    elements: raw
    default: []
  kubernetes_version:
    description:
      - The cluster's Kubernetes version as its API server reports it (C(v1.34.4)). The target is refused when
        a C(kubernetes) row covering it excludes this version; without a covering row, a warning.
      - Omit to skip the check.
    type: str
  ghippo_version:
    description:
      - The version of global management (ghippo) on the control plane, when it is installed. A
        C(global_management) row refuses targets below its C(engine_min) when ghippo is at its C(ghippo_from) or newer.
      - Omit when ghippo is not installed, or to skip the check.
    type: str
notes:
  - Supports check mode; never changes anything.
  - A compatibility check refuses only a plan that would change the release; a release already at the
    target gets the finding as a warning.
seealso:
  - module: kubernetes.core.helm_info
"""

EXAMPLES = r"""
- name: Plan the skoala-init upgrade of a worker
  dce5.skoala.upgrade_plan:
    component: skoala-init
    current_chart: skoala-init-0.24.2
    status: deployed
    target_version: 0.28.1
    available_versions: [0.24.2, 0.26.2, 0.28.1]
  register: plan

- name: Show what will run
  ansible.builtin.debug:
    msg: "{{ plan.plan.action }}: {{ plan.plan.steps | map(attribute='name') | list }}"
"""

RETURN = r"""
plan:
  description: The plan for the release.
  returned: always
  type: dict
  contains:
    component:
      description: The chart.
      type: str
      sample: skoala-init
    release:
      description: The release name.
      type: str
      sample: skoala-init
    namespace:
      description: The release namespace.
      type: str
      sample: skoala-system
    current:
      description: The installed chart version, or null.
      type: str
      sample: 0.24.2
    target:
      description: The target version, normalised (no C(v)).
      type: str
      sample: 0.28.1
    status:
      description: Helm's status of the release as given.
      type: str
      sample: deployed
    action:
      description:
        - One of C(install), C(upgrade), C(finish), C(none), C(refuse).
        - C(finish) runs only the steps after the chart that an earlier run owes (the chart is at the target).
      type: str
      sample: upgrade
    reason:
      description: Why; for C(refuse), what to do about it.
      type: str
      sample: 0.24.2 -> 0.28.1
    steps:
      description:
        - Ordered steps; C(pre) ones run before the chart upgrade, C(post) ones after.
        - Each names what it C(reads) from the target chart and what it C(writes); no two steps of a plan write the same thing.
      type: list
      elements: dict
      sample:
        - name: delete_jobs
          phase: pre
          boundary: null
          description: delete the gateway admission Jobs, whose pod template Kubernetes will not patch
          params: {namespace: skoala-system, jobs: [gateway-api-admission, gateway-api-admission-patch]}
          reads: []
          writes: [job:skoala-system/gateway-api-admission, job:skoala-system/gateway-api-admission-patch]
    chart_files:
      description: Files the steps read from the target chart; the chart is unpacked once for all of them.
      type: list
      elements: str
      sample: [charts/contour-provisioner-prereq/crds/gateway-api.yaml]
    image_tags:
      description: The image tags to set, as value key to tag.
      type: dict
      sample: {skoala-agent.image.tag: v0.28.1}
    warnings:
      description: Things worth knowing that do not stop the upgrade.
      type: list
      elements: str
      sample: []
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dce5.skoala.plugins.module_utils import plan as plan_utils
from ansible_collections.dce5.skoala.plugins.module_utils import upgrade_path, versions

run = plan_utils.run


def main():
    module = AnsibleModule(argument_spec=plan_utils.ARGUMENT_SPEC, supports_check_mode=True)
    try:
        plan = run(module.params)
    except (versions.VersionError, upgrade_path.UpgradePathError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, plan=plan)


if __name__ == "__main__":
    main()
