"""Helm releases without their values, and the versions a chart repository offers."""
import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import releases

DSN = "skoala:p@ss:w&rd=%x@tcp(mysql:3306)/skoala?charset=utf8"


def helm_info(chart, status="deployed", revision=3, values=None):
    return {"status": {"chart": chart, "status": status, "revision": str(revision), "app_version": "x",
                       "values": values or {}}}


def test_release_summary_keeps_tags_drops_values():
    values = {"hive": {"image": {"tag": "v0.19.2"}, "configMap": {"database": [{"dsn": DSN}]}},
              "sesame": {"image": {"tag": "v0.19.2"}}, "ui": {"image": {"tag": "v0.18.0"}}}
    summary = releases.release_summary(helm_info("skoala-0.19.2", values=values), "skoala")
    assert summary == {"installed": True, "chart": "skoala-0.19.2", "version": "0.19.2", "status": "deployed",
                       "revision": 3, "app_version": "x", "last_deployed": None,
                       "image_tags": {"hive.image.tag": "v0.19.2", "sesame.image.tag": "v0.19.2",
                                      "ui.image.tag": "v0.18.0"}}
    assert "p@ss" not in repr(summary)


def test_release_summary_last_deployed_from_the_record_or_the_list_row():
    record = helm_info("skoala-0.19.2")
    record["status"]["last_deployed"] = "2026-12-04T22:06:23.871234567Z"
    assert releases.release_summary(record, "skoala")["last_deployed"] == "2026-12-04T22:06:23.871234567Z"
    row = helm_info("skoala-0.19.2")
    row["status"]["updated"] = "2026-12-04 22:06:23.871234567 +0000 UTC"
    assert releases.release_summary(row, "skoala")["last_deployed"] == "2026-12-04 22:06:23.871234567 +0000 UTC"


def test_release_summary_skoala_init_tags_including_seata():
    values = {n: {"image": {"tag": "v0.28.1"}} for n in
              ("skoala-agent", "nacos-operator", "sentinel-operator", "seata-operator")}
    summary = releases.release_summary(helm_info("skoala-init-0.28.1", values=values), "skoala-init")
    assert len(summary["image_tags"]) == 4


def test_release_summary_absent_release():
    summary = releases.release_summary({"status": None}, "skoala")
    assert summary["installed"] is False and summary["chart"] == "" and summary["version"] is None


def test_release_summary_pending_state_kept():
    summary = releases.release_summary(helm_info("skoala-init-0.19.2", status="pending-upgrade"), "skoala-init")
    assert summary["status"] == "pending-upgrade"


def test_release_summaries_by_loop_item():
    results = [dict(helm_info("skoala-0.19.2"), item="skoala"), {"status": None, "item": "skoala-init"}]
    out = releases.release_summaries(results)
    assert out["skoala"]["version"] == "0.19.2" and out["skoala-init"]["installed"] is False


def test_chart_versions_from_index():
    index = {"entries": {"skoala": [{"version": "0.28.1"}, {"version": "0.19.2"}], "other": [{"version": "9"}]}}
    assert releases.chart_versions(index, "skoala") == ["0.28.1", "0.19.2"]
    assert releases.chart_versions(index, "skoala-init") == []
    assert releases.chart_versions("not a dict", "skoala") == []
    assert releases.chart_versions({"entries": None}, "skoala") == []


# kubernetes.core.helm's result after an upgrade: the release as `helm list`
# and `helm get values` read it back (kubernetes.core 6, module helm, `status`).
HELM_UPGRADED = {"changed": True, "status": {
    "name": "skoala-init", "namespace": "skoala-system", "revision": "2", "status": "deployed",
    "chart": "skoala-init-0.28.1", "app_version": "0.28.1", "values": {"skoala-agent": {"image": {"tag": "v0.28.1"}}}}}


def test_helm_read_of_the_release_just_upgraded_is_its_result():
    assert releases.helm_read_of(HELM_UPGRADED, "skoala-init") is HELM_UPGRADED
    summary = releases.release_summary(releases.helm_read_of(HELM_UPGRADED, "skoala-init"), "skoala-init")
    assert (summary["status"], summary["version"], summary["revision"]) == ("deployed", "0.28.1", 2)


@pytest.mark.parametrize("result", [
    None, {}, {"skipped": True, "changed": False},
    dict(HELM_UPGRADED, failed=True),
    {"changed": False, "status": None},
])
def test_helm_read_of_anything_else_is_empty_so_the_caller_reads(result):
    assert releases.helm_read_of(result, "skoala-init") == {}


def test_helm_read_of_another_release_is_empty():
    # The global cluster runs both charts: skoala's upgrade result must not verify skoala-init.
    assert releases.helm_read_of(HELM_UPGRADED, "skoala") == {}


INIT_PLAN = {"component": "skoala-init", "release": "skoala-init", "target": "0.28.1"}


def test_deployed_at_the_target_is_no_problem():
    summary = {"status": "deployed", "version": "0.28.1", "chart": "skoala-init-0.28.1"}
    assert releases.deployed_problem(summary, "w1", INIT_PLAN) == ""


@pytest.mark.parametrize("summary, says", [
    ({"status": "failed", "version": "0.28.1", "chart": "skoala-init-0.28.1"},
     "w1: skoala-init is skoala-init-0.28.1 (failed), expected skoala-init-0.28.1 deployed."),
    ({"status": "deployed", "version": "0.19.2", "chart": "skoala-init-0.19.2"},
     "w1: skoala-init is skoala-init-0.19.2 (deployed), expected skoala-init-0.28.1 deployed."),
    (releases.release_summary({}, "skoala-init"),
     "w1: skoala-init is not installed (None), expected skoala-init-0.28.1 deployed."),
])
def test_anything_else_names_the_cluster_what_is_there_and_what_was_expected(summary, says):
    assert releases.deployed_problem(summary, "w1", INIT_PLAN) == says
