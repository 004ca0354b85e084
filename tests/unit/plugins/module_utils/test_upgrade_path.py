"""The upgrade path as data: the built-in file, the rows operators add, the
steps they skip, and the compatibility checks. Expected behaviour comes from
the vendor's pages as docs/skoala-facts (quoted where it matters), not from
the table itself."""
import copy

import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import plan as plan_utils
from ansible_collections.dce5.skoala.plugins.module_utils import upgrade_path as up
from ansible_collections.dce5.skoala.plugins.module_utils import versions as v

BUILTIN = up.load_builtin()

NEW_CRD = {
    "step": "apply_crds", "component": "skoala-init", "phase": "post", "boundary": "0.28.0",
    "params": {"files": ["charts/contour-provisioner/crds/higress.gen.yaml"]},
    "description": "apply the Higress CRDs early", "source": "vendor note for 0.28 (test)",
}


def plan(component, current, target, **kw):
    params = dict({a: None for a in plan_utils.ARGUMENT_SPEC}, component=component, target_version=target,
                  allow_downgrade=False, recover_pending=False, namespace="skoala-system",
                  upgrade_path_extra=[], steps_skip=[])
    params["current_chart"] = "%s-%s" % (component, current) if current else None
    params.update(kw)
    return plan_utils.run(params)


def names(p):
    return [(s["name"], s["boundary"]) for s in p["steps"]]


# --- the built-in file ------------------------------------------------------------

def test_the_built_in_file_loads_and_every_row_names_its_source():
    assert len(BUILTIN["steps"]) == 5 and len(BUILTIN["checks"]) == 3
    for row in list(BUILTIN["steps"]) + list(BUILTIN["checks"]):
        assert up.row_problems(row, "row") == []
        assert row["source"].strip()


def test_rollback_deletes_the_jobs_the_table_deletes():
    rows = [r for r in BUILTIN["steps"] if r["step"] == "delete_jobs"]
    assert [tuple(r["params"]["jobs"]) for r in rows] == [v.ADMISSION_JOBS]
    assert rows[0]["params"]["namespace"] == v.NAMESPACE


def test_a_broken_shipped_file_is_an_error(tmp_path):
    bad = tmp_path / "upgrade_path.yml"
    bad.write_text("schema_version: 1\nsteps:\n  - {step: apply_crd, component: skoala-init, phase: post, boundary: 0.35.0,"
                   " params: {files: [a.yaml]}, source: x}\n")
    with pytest.raises(up.UpgradePathError) as err:
        up.load_builtin(str(bad))
    assert "steps[0].step: unknown step 'apply_crd'" in str(err.value)
    bad.write_text("schema_version: 2\n")
    with pytest.raises(up.UpgradePathError, match="schema_version 2, expected 1"):
        up.load_builtin(str(bad))


# --- rows an operator adds ---------------------------------------------------------

def test_a_good_extra_row_has_no_problem():
    assert up.problems(BUILTIN, [NEW_CRD], []) == []


@pytest.mark.parametrize("change, expected", [
    ({"step": "apply_crd"}, ["skoala_upgrade_path_extra[0].step: unknown step 'apply_crd'", "apply_crds"]),
    ({"step": "kubectl_apply"}, ["unknown step 'kubectl_apply'", "db_upgrade, delete_jobs, apply_crds"]),
    ({"boundary": "0.58"}, ["[0].boundary: '0.58' is not a version", "X.Y.Z"]),
    ({"boundary": "latest"}, ["[0].boundary: 'latest' is not a version"]),
    ({"until": "0.27.0"}, ["[0].until: 0.27.0 is not above boundary 0.28.0"]),
    ({"phase": "during"}, ["[0].phase: 'during'; use pre (before the chart) or post (after it)"]),
    ({"phase": None}, ["[0].phase: None"]),
    ({"component": "skoala-ui"}, ["[0].component: 'skoala-ui'; use one of skoala, skoala-init"]),
    ({"params": {"files": ["/etc/passwd"]}}, ["[0].params.files[0]: '/etc/passwd' is outside the chart"]),
    ({"params": {"files": ["../../other/crds.yaml"]}}, ["[0].params.files[0]: '../../other/crds.yaml' is outside the chart"]),
    ({"params": {"files": ["charts/../../x.yaml"]}}, ["is outside the chart"]),
    ({"params": {"files": ["~/crd.yaml"]}}, ["is outside the chart"]),
    ({"params": {"files": []}}, ["[0].params.files: a list of files in the target chart is needed"]),
    ({"params": None}, ["[0].params: missing or not a mapping"]),
    ({"source": ""}, ["[0].source: missing; name the vendor page or note"]),
    ({"colour": "red"}, ["[0].colour: unknown field"]),
])
def test_bad_extra_rows_name_the_row_the_field_and_the_fix(change, expected):
    row = dict(NEW_CRD, **change)
    found = " ".join(up.problems(BUILTIN, [row], []))
    for text in expected:
        assert text in found, found


def test_a_missing_boundary_is_named():
    row = dict(NEW_CRD)
    del row["boundary"]
    assert "[0].boundary: missing" in " ".join(up.problems(BUILTIN, [row], []))


def test_other_steps_need_their_own_params():
    jobs = dict(NEW_CRD, step="delete_jobs", phase="pre", params={"namespace": "skoala-system", "jobs": ["Bad Name"]})
    assert "params.jobs: a list of Job names" in " ".join(up.problems(BUILTIN, [jobs], []))
    db = dict(NEW_CRD, step="db_upgrade", component="skoala", phase="pre", params={"sweet": {"type": "UPGRADE"}})
    assert "params.sweet: type, target and tag are needed" in " ".join(up.problems(BUILTIN, [db], []))


def test_a_row_that_is_not_a_mapping_or_a_list_that_is_not_a_list():
    assert "skoala_upgrade_path_extra[0]: a row is a mapping" in up.problems(BUILTIN, ["apply_crds"], [])[0]
    assert "a list of rows is expected" in up.problems(BUILTIN, {"step": "x"}, [])[0]
    assert "a list of step names is expected" in up.problems(BUILTIN, [], "db_upgrade")[0]


def test_duplicate_rows_are_refused():
    builtin_copy = copy.deepcopy(dict(BUILTIN["steps"][-1]))
    found = up.problems(BUILTIN, [builtin_copy], [])
    assert found == ["skoala_upgrade_path_extra[0]: repeats data/upgrade_path.yml steps[4] (apply_crds@0.52.1); "
                     "remove one of them"]
    assert up.problems(BUILTIN, [NEW_CRD, dict(NEW_CRD)], []) == [
        "skoala_upgrade_path_extra[1]: repeats skoala_upgrade_path_extra[0]; remove one of them"]
    # The same step at the same boundary with another file is a new row.
    other_file = dict(NEW_CRD, params={"files": ["charts/contour-provisioner/crds/contour.yaml"]})
    assert up.problems(BUILTIN, [NEW_CRD, other_file], []) == []


def test_a_row_added_runs_like_a_built_in_one():
    p = plan("skoala-init", "0.19.2", "0.28.1", upgrade_path_extra=[NEW_CRD])
    assert names(p) == [("delete_jobs", None), ("apply_crds", "0.28.0")]
    assert p["steps"][1]["phase"] == "post" and p["steps"][1]["description"] == "apply the Higress CRDs early"
    assert p["chart_files"] == ["charts/contour-provisioner/crds/higress.gen.yaml"]
    # Not crossed: not run. Not this component: not run.
    assert names(plan("skoala-init", "0.28.1", "0.35.1", upgrade_path_extra=[NEW_CRD])) == [
        ("delete_jobs", None), ("apply_crds", "0.35.0")]
    assert names(plan("skoala", "0.19.2", "0.28.1", upgrade_path_extra=[NEW_CRD])) == []


def test_an_extra_row_in_the_same_phase_runs_in_boundary_order():
    late = dict(NEW_CRD, boundary="0.36.0", params={"files": ["charts/x/crds/late.yaml"]})
    p = plan("skoala-init", "0.28.1", "0.52.1", upgrade_path_extra=[late])
    assert names(p) == [("delete_jobs", None), ("apply_crds", "0.35.0"), ("apply_crds", "0.36.0"),
                        ("apply_crds", "0.37.0"), ("apply_crds", "0.52.1")]


def test_bad_rows_fail_the_plan_with_their_messages():
    with pytest.raises(up.UpgradePathError) as err:
        plan("skoala-init", "0.19.2", "0.28.1", upgrade_path_extra=[dict(NEW_CRD, phase="mid")])
    assert "skoala_upgrade_path_extra[0].phase: 'mid'" in str(err.value)


# --- steps an operator drops -------------------------------------------------------

def test_skipping_a_step_by_name_drops_it_with_a_warning():
    p = plan("skoala", "0.18.0", "0.28.1", steps_skip=["db_upgrade"])
    assert names(p) == [] and p["action"] == "upgrade"
    assert p["warnings"] == ["step db_upgrade@0.19.0 skipped (skoala_upgrade_steps_skip): "
                             "run the database upgrade Job (sweet) before the skoala chart"]


def test_skipping_one_row_keeps_the_others():
    p = plan("skoala-init", "0.28.1", "0.52.1", steps_skip=["apply_crds@0.52.1"])
    assert names(p) == [("delete_jobs", None), ("apply_crds", "0.35.0"), ("apply_crds", "0.37.0")]
    assert len(p["warnings"]) == 1 and p["warnings"][0].startswith("step apply_crds@0.52.1 skipped")


def test_a_skipped_step_the_path_does_not_need_warns_of_nothing():
    assert plan("skoala", "0.19.2", "0.28.1", steps_skip=["db_upgrade"])["warnings"] == []
    assert plan("skoala-init", "0.28.1", "0.28.1", steps_skip=["delete_jobs"])["warnings"] == []


def test_unknown_skip_names_are_refused_with_the_names_there_are():
    found = up.problems(BUILTIN, [], ["apply_crds@0.36.0", "db-upgrade"])
    assert found[0].startswith("skoala_upgrade_steps_skip[0]: 'apply_crds@0.36.0' names no step")
    assert "apply_crds@0.52.1" in found[0] and "delete_jobs" in found[0]
    assert found[1].startswith("skoala_upgrade_steps_skip[1]: 'db-upgrade' names no step")
    # A row added in the same inventory can be skipped by name.
    assert up.problems(BUILTIN, [NEW_CRD], ["apply_crds@0.28.0"]) == []


# --- compatibility -----------------------------------------------------------------

def compat(component, target, k8s=None, ghippo=None, extra=()):
    checks = up.table(BUILTIN, list(extra), [])["checks"]
    return up.compatibility(checks, component, target, k8s, ghippo)


@pytest.mark.parametrize("k8s, refused", [
    ("v1.22.17", True), ("v1.23.0", False), ("v1.30.2", False), ("v1.35.9", False), ("v1.36.0", True),
    ("v1.28.3+k3s1", False), ("v1.21.14-eks-1", True),
])
def test_0_57_0_supports_kubernetes_1_23_to_1_35(k8s, refused):
    # skoala-facts: "0.57.0 supports Kubernetes 1.23-1.35".
    for component in v.COMPONENTS:
        found = compat(component, "0.57.0", k8s)
        assert bool(found["refusals"]) is refused, (component, k8s, found)
        assert found["warnings"] == []


def test_the_0_12_gateway_crds_need_kubernetes_1_25():
    # skoala-facts: the 0.12 gateway-api CRD uses x-kubernetes-validations: Kubernetes >= 1.25.
    refused = compat("skoala-init", "0.12.2", "v1.24.17")["refusals"]
    assert len(refused) == 1 and "1.25 or newer" in refused[0] and "x-kubernetes-validations" in refused[0]
    assert compat("skoala-init", "0.12.2", "v1.25.0")["refusals"] == []
    # A skoala-init CRD: the control plane's chart is not held to it.
    assert compat("skoala", "0.12.2", "v1.24.17")["refusals"] == []


def test_an_unknown_range_is_a_warning():
    found = compat("skoala-init", "0.28.1", "v1.34.4")
    assert found["refusals"] == []
    assert found["warnings"] == ["Kubernetes v1.34.4: no supported range is known for skoala-init 0.28.1"]
    assert compat("skoala", "0.28.1", None) == {"refusals": [], "warnings": []}
    assert "could not be read" in compat("skoala", "0.57.0", "unknown")["warnings"][0]


def test_a_check_row_added_through_the_variable_is_enforced():
    row = {"check": "kubernetes", "boundary": "0.28.0", "until": "0.29.0", "params": {"min": "1.35"},
           "description": "test range", "source": "operator's note"}
    found = compat("skoala-init", "0.28.1", "v1.34.4", extra=[row])
    assert found["warnings"] == [] and len(found["refusals"]) == 1
    assert found["refusals"][0].startswith("Kubernetes v1.34.4 is outside what skoala-init 0.28.1 supports (1.35 or newer)")
    assert "operator's note" in found["refusals"][0]


@pytest.mark.parametrize("ghippo, target, refused", [
    ("0.23.0", "0.21.0", True), ("0.30.1", "0.19.2", True), ("0.23.0", "0.22.0", False),
    ("0.22.9", "0.19.2", False), ("0.23.0-rc.1", "0.19.2", False), (None, "0.19.2", False),
])
def test_global_management_0_23_needs_the_engine_at_0_22(ghippo, target, refused):
    # skoala-facts: when ghippo >= v0.23.0 the engine must be >= 0.22.0.
    found = compat("skoala", target, None, ghippo)
    assert bool(found["refusals"]) is refused
    if refused:
        assert "choose a target at 0.22.0 or newer" in found["refusals"][0]


def test_bad_check_rows_are_named():
    row = {"check": "kubernetes", "boundary": "0.28.0", "params": {"min": "one"}, "source": "x"}
    assert "[0].params.min: 'one' is not a Kubernetes version" in " ".join(up.problems(BUILTIN, [row], []))
    row = {"check": "helm", "boundary": None, "params": {}, "source": "x"}
    assert "[0].check: unknown check 'helm'" in " ".join(up.problems(BUILTIN, [row], []))
    row = {"check": "global_management", "params": {"ghippo_from": "0.23.0"}, "source": "x"}
    assert "[0].params.engine_min: missing" in " ".join(up.problems(BUILTIN, [row], []))


def test_the_plan_refuses_an_incompatible_change_and_only_warns_when_nothing_changes():
    refused = plan("skoala", "0.19.2", "0.21.0", ghippo_version="0.23.0")
    assert refused["action"] == "refuse" and refused["steps"] == []
    assert "global management (ghippo) is at 0.23.0" in refused["reason"]
    at_target = plan("skoala", "0.21.0", "0.21.0", ghippo_version="0.23.0",
                     current_image_tags={"hive.image.tag": "v0.21.0", "sesame.image.tag": "v0.21.0"})
    assert at_target["action"] == "none"
    assert any("global management" in w for w in at_target["warnings"])
    k8s = plan("skoala-init", "0.52.1", "0.57.0", kubernetes_version="v1.36.1")
    assert k8s["action"] == "refuse" and "1.23 to 1.35" in k8s["reason"]
    # A refusal for another reason keeps its reason.
    down = plan("skoala", "0.28.1", "0.19.2", ghippo_version="0.23.0")
    assert down["action"] == "refuse" and "downgrade" in down["reason"]


@pytest.mark.parametrize("value, minor", [
    ("v1.34.4", (1, 34)), ("1.25", (1, 25)), ("v1.28.3+k3s1", (1, 28)), ("1", None), ("", None), (None, None),
])
def test_kubernetes_minor(value, minor):
    assert up.kubernetes_minor(value) == minor
