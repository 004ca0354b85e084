# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The upgrade_plan module's arguments and computation, shared by the module
and its action plugin (which computes on the controller: the plan is pure
logic, and a process per cluster for it was time spent on nothing)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dce5.skoala.plugins.module_utils import upgrade_path, versions

ARGUMENT_SPEC = dict(
    component=dict(type="str", required=True, choices=list(versions.COMPONENTS)),
    target_version=dict(type="str", required=True),
    current_chart=dict(type="str"),
    status=dict(type="str"),
    available_versions=dict(type="list", elements="str"),
    allow_downgrade=dict(type="bool", default=False),
    recover_pending=dict(type="bool", default=False),
    ui_version=dict(type="str"),
    current_image_tags=dict(type="dict"),
    release=dict(type="str"),
    namespace=dict(type="str", default=versions.NAMESPACE),
    kubeconfig=dict(type="str", no_log=False),
    context=dict(type="str"),
    unfinished=dict(type="dict", options=dict(
        target=dict(type="str", required=True),
        **{"from": dict(type="str")})),
    upgrade_path_extra=dict(type="list", elements="raw", default=[]),
    steps_skip=dict(type="list", elements="raw", default=[]),
    kubernetes_version=dict(type="str"),
    ghippo_version=dict(type="str"),
)

# Plans that would change the release: the compatibility checks refuse
# only these; a release already at the target gets their warning.
CHANGING = ("install", "upgrade", "finish")


def run(params, builtin=None):
    """The plan for the module's parameters, with the built-in table
    ``builtin`` (None: data/upgrade_path.yml). Raises VersionError or
    upgrade_path.UpgradePathError on bad input."""
    path = upgrade_path.table(builtin or upgrade_path.load_builtin(),
                              params.get("upgrade_path_extra"), params.get("steps_skip"))
    component = params["component"]
    current = None
    if params.get("current_chart"):
        current = versions.chart_version(params["current_chart"], component)
    desired = versions.image_tag_values(component, params["target_version"], params.get("ui_version"))
    current_values = None
    if params.get("current_image_tags") is not None:
        current_values = {}
        for key, tag in params["current_image_tags"].items():
            node = current_values
            parts = key.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = tag
    result = versions.plan(
        component, current, params["target_version"],
        available=params.get("available_versions"),
        allow_downgrade=params["allow_downgrade"],
        status=params.get("status"),
        desired_tags=desired,
        current_values=current_values,
        recover_pending=params["recover_pending"],
        release=params.get("release"),
        namespace=params["namespace"],
        kubeconfig=params.get("kubeconfig"),
        context=params.get("context"),
        unfinished=params.get("unfinished"),
        table=path["steps"],
    )
    if result["action"] in CHANGING:
        skipped = versions.steps_between(component, result["current"], result["target"], path["skipped"])
        result["warnings"] += ["step %s skipped (%s): %s" % (upgrade_path.step_name(s), upgrade_path.SKIP_VAR, s["description"])
                               for s in skipped]
    found = upgrade_path.compatibility(path["checks"], component, result["target"],
                                       params.get("kubernetes_version"), params.get("ghippo_version"))
    if found["refusals"] and result["action"] in CHANGING:
        result.update(action="refuse", reason="; ".join(found["refusals"]), steps=[], chart_files=[])
    else:
        result["warnings"] += found["refusals"] + found["warnings"]
    return result
