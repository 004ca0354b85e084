"""The upgrade path as data, on the real sandbox: a row added through
skoala_upgrade_path_extra shows in the fleet table and runs like a built-in
one; bad rows and skip names stop preflight with a message that names the
row and the field; the compatibility checks read the real API servers'
versions and a real Helm release of global management.

Expected behaviour comes from the vendor's notes as skoala-facts.md gives
them: 0.57.0 supports Kubernetes 1.23-1.35; when ghippo is v0.23.0 or newer
the engine must be 0.22.0 or newer."""
import json
import os
import re

import pytest

import fixture_charts

NEW_CRD_ROW = {
    "step": "apply_crds", "component": "skoala-init", "phase": "post", "boundary": "0.28.0",
    "params": {"files": ["charts/contour-provisioner/crds/higress.gen.yaml"]},
    "description": "apply the Higress CRDs (test row)", "source": "a vendor note the built-in table lacks (test)",
}
HIGRESS_CRD = "mcpbridges.networking.higress.io"


def crd_chart_version(fleet, cluster, name):
    out = fleet.kubectl(cluster, "get", "crd", name, "-o", "json").stdout
    return json.loads(out)["metadata"]["annotations"][fixture_charts.VERSION_ANNOTATION]


def server_version(fleet, cluster):
    out = fleet.kubectl(cluster, "version", "-o", "json").stdout
    return json.loads(out)["serverVersion"]["gitVersion"]


# --- preflight only: every test leaves the releases as it found them ----------

@pytest.fixture(scope="module")
def preflight_fleet(baseline_fleet):
    return baseline_fleet


def test_an_added_row_shows_in_the_fleet_table(preflight_fleet):
    fleet = preflight_fleet
    run = fleet.playbook("preflight.yml", extra_vars={"skoala_upgrade_path_extra": [NEW_CRD_ROW]})
    assert run.rc == 0, run
    for worker in fleet.workers:
        assert re.search(r"%s\s+skoala-init\s+0\.19\.2\s+0\.28\.1\s+upgrade\s+delete_jobs, apply_crds\(higress\.gen\.yaml\)"
                         % worker, run.out), run.out
    assert re.search(r"dce-global\s+skoala\s+0\.19\.2\s+0\.28\.1\s+upgrade\s+-", run.out)


def test_a_skipped_step_is_a_warning_in_the_fleet_table(preflight_fleet):
    fleet = preflight_fleet
    before = fleet.histories()
    run = fleet.playbook("preflight.yml", extra_vars={"skoala_upgrade_path_extra": [NEW_CRD_ROW],
                                                      "skoala_upgrade_steps_skip": ["apply_crds@0.28.0"]})
    assert run.rc == 0, run
    assert "apply_crds(higress.gen.yaml)" not in run.out
    assert run.out.count("step apply_crds@0.28.0 skipped (skoala_upgrade_steps_skip)") >= len(fleet.workers)
    assert fleet.histories() == before


@pytest.mark.parametrize("extra, expected", [
    ({"skoala_upgrade_path_extra": [dict(NEW_CRD_ROW, step="kubectl_apply")]},
     "skoala_upgrade_path_extra[0].step: unknown step 'kubectl_apply'"),
    ({"skoala_upgrade_path_extra": [dict(NEW_CRD_ROW, boundary="0.28")]},
     "skoala_upgrade_path_extra[0].boundary: '0.28' is not a version"),
    ({"skoala_upgrade_path_extra": [dict(NEW_CRD_ROW, params={"files": ["../../../etc/passwd"]})]},
     "skoala_upgrade_path_extra[0].params.files[0]: '../../../etc/passwd' is outside the chart"),
    ({"skoala_upgrade_path_extra": [dict(NEW_CRD_ROW, phase="during")]},
     "skoala_upgrade_path_extra[0].phase: 'during'; use pre (before the chart) or post (after it)"),
    ({"skoala_upgrade_path_extra": [NEW_CRD_ROW, dict(NEW_CRD_ROW)]},
     "skoala_upgrade_path_extra[1]: repeats skoala_upgrade_path_extra[0]; remove one of them"),
    ({"skoala_upgrade_steps_skip": ["apply_crds@0.36.0"]},
     "skoala_upgrade_steps_skip[0]: 'apply_crds@0.36.0' names no step"),
], ids=["unknown-step", "bad-version", "outside-chart", "bad-phase", "duplicate", "unknown-skip"])
def test_bad_rows_stop_preflight_and_change_nothing(preflight_fleet, extra, expected):
    fleet = preflight_fleet
    before = fleet.histories()
    run = fleet.playbook("upgrade.yml", extra_vars=extra)
    assert run.rc != 0, run
    text = " ".join(run.out.split())
    # The message names the cluster, the row and the field.
    assert "%s: %s" % (fleet.control_plane, expected) in text, run.out
    assert fleet.histories() == before


def test_the_kubernetes_version_is_read_from_the_api_server(preflight_fleet):
    fleet = preflight_fleet
    version = server_version(fleet, fleet.control_plane)
    run = fleet.playbook("preflight.yml")
    assert run.rc == 0, run
    # No built-in row covers 0.28.1: a warning that gives the version the cluster reported.
    assert "Kubernetes %s: no supported range is known for skoala 0.28.1" % version in run.out


def test_a_kubernetes_row_that_excludes_the_cluster_refuses_the_target(preflight_fleet):
    fleet = preflight_fleet
    version = server_version(fleet, fleet.control_plane)
    minor = int(version.split(".")[1])
    row = {"check": "kubernetes", "boundary": "0.28.0", "until": "0.29.0", "params": {"min": "1.%d" % (minor + 1)},
           "description": "a range the sandbox's clusters are below (test)", "source": "operator's note (test)"}
    before = fleet.histories()
    run = fleet.playbook("upgrade.yml", extra_vars={"skoala_upgrade_path_extra": [row]})
    assert run.rc != 0, run
    text = " ".join(run.out.split())
    expected = "Kubernetes %s is outside what skoala 0.28.1 supports (1.%d or newer)" % (version, minor + 1)
    assert "%s/skoala: %s" % (fleet.control_plane, expected) in text, run.out
    for worker in fleet.workers:
        assert "%s/skoala-init: Kubernetes" % worker in text
    assert fleet.histories() == before
    # The same row with the cluster inside it: no refusal, no warning.
    row["params"] = {"min": "1.%d" % minor, "max": "1.%d" % minor}
    run = fleet.playbook("preflight.yml", extra_vars={"skoala_upgrade_path_extra": [row]})
    assert run.rc == 0, run
    assert "no supported range is known" not in run.out and "is outside what" not in run.out


@pytest.fixture
def ghippo(preflight_fleet, tmp_path):
    """Install a stand-in global management release of the given version on
    the control plane; removed afterwards."""
    fleet = preflight_fleet
    helm = os.path.join(fleet.box.bin, "helm")

    def install(version):
        chart = fixture_charts.ghippo_chart(str(tmp_path), version, helm=helm)
        fleet.helm(fleet.control_plane, "upgrade", "--install", "ghippo", chart, "-n", "ghippo-system",
                   "--create-namespace", "--wait", "--timeout", "120s")
    yield install
    fleet.helm(fleet.control_plane, "uninstall", "ghippo", "-n", "ghippo-system", "--wait", check=False)


def test_global_management_0_23_refuses_an_engine_below_0_22(preflight_fleet, ghippo):
    fleet = preflight_fleet
    before = fleet.histories()
    down = {"skoala_target_version": "0.19.0", "skoala_allow_downgrade": True}
    ghippo("0.22.0")
    run = fleet.playbook("preflight.yml", extra_vars=down)
    assert run.rc == 0, run

    ghippo("0.23.0")
    run = fleet.playbook("upgrade.yml", extra_vars=down)
    assert run.rc != 0, run
    text = " ".join(run.out.split())
    assert ("%s/skoala: global management (ghippo) is at 0.23.0; global management v0.23.0 or newer needs the "
            "microservice engine at 0.22.0 or newer" % fleet.control_plane) in text, run.out
    assert "choose a target at 0.22.0 or newer" in text
    assert fleet.histories() == before

    # A target at or above 0.22.0 is allowed; and the check can be skipped by name.
    assert fleet.playbook("preflight.yml").rc == 0
    skipped = fleet.playbook("preflight.yml", extra_vars=dict(down, skoala_preflight_skip=["global_management"]))
    assert skipped.rc == 0, skipped
    assert fleet.histories() == before


# --- an upgrade with the added row --------------------------------------------------

def test_an_added_row_runs_like_a_built_in_one(fleet):
    for worker in fleet.workers:
        assert crd_chart_version(fleet, worker, HIGRESS_CRD) == "0.19.2"
    run = fleet.playbook("upgrade.yml", extra_vars={"skoala_upgrade_path_extra": [NEW_CRD_ROW]})
    assert run.rc == 0, run
    # Helm never upgrades crds/: only the added step brings the 0.28.1 chart's CRD.
    for worker in fleet.workers:
        assert crd_chart_version(fleet, worker, HIGRESS_CRD) == "0.28.1"
        assert fleet.release(worker)["chart"] == "skoala-init-0.28.1"
    again = fleet.playbook("upgrade.yml", extra_vars={"skoala_upgrade_path_extra": [NEW_CRD_ROW]})
    assert again.rc == 0, again
    assert all(c == 0 for c in again.changed().values()), again.recap
