import json

import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import report, versions


def hosts():
    return {
        "w2": {"plans": [versions.plan("skoala-init", "0.19.2", "0.28.1")], "report": {}},
        "w1": {"plans": [versions.plan("skoala-init", "0.19.2", "0.28.1")],
               "report": {"skoala-init": {"result": "failed", "started": 10.0, "backup": "b/w1.values.yaml"}}},
        "g": {"plans": [versions.plan("skoala", "0.19.2", "0.28.1")],
              "report": {"skoala": {"result": "upgraded", "started": 10.0, "finished": 22.34, "backup": "b/g.yaml"}}},
        "w3": {"plans": [versions.plan("skoala-init", "0.28.1", "0.28.1", status="deployed")], "report": {}},
    }


def test_rows_results_and_order():
    rows = report.rows(hosts())
    assert [(r["cluster"], r["result"]) for r in rows] == [
        ("g", "upgraded"), ("w1", "failed"), ("w2", "not started"), ("w3", "unchanged")]
    assert rows[0]["duration_seconds"] == 12.3 and rows[1]["duration_seconds"] is None
    assert rows[0]["from"] == "0.19.2" and rows[0]["to"] == "0.28.1"


def test_document_is_stable_json():
    doc = report.document(hosts(), "20261121T000000Z", "0.28.1")
    assert doc["result"] == "failed"
    assert doc["counts"] == {"upgraded": 1, "failed": 1, "not started": 1, "unchanged": 1}
    assert set(doc) == {"schema_version", "run_id", "target_version", "result", "counts", "releases"}
    assert json.loads(json.dumps(doc)) == doc


def test_success_when_all_upgraded_or_unchanged():
    h = hosts()
    h["w1"]["report"]["skoala-init"]["result"] = "upgraded"
    del h["w2"]
    assert report.document(h, "r", "0.28.1")["result"] == "success"


def test_markdown_and_table():
    doc = report.document(hosts(), "r1", "0.28.1")
    md = report.markdown(doc)
    assert "| cluster | component | from | to | action | result | duration | backup |" in md
    assert "| g | skoala | 0.19.2 | 0.28.1 | upgrade | upgraded | 12.3s | b/g.yaml |" in md
    lines = report.table(doc)
    assert lines[0].split() == ["CLUSTER", "COMPONENT", "FROM", "TO", "ACTION", "RESULT", "DURATION", "BACKUP"]
    assert len(lines) == 6


def test_report_input_reads_only_what_it_needs():
    assert report.report_input({"skoala_plans": [1], "skoala_report": {"a": 1}, "x": 2}) == {
        "plans": [1], "report": {"a": 1}}
    assert report.report_input({}) == {"plans": [], "report": {}}


def test_report_files_names_and_latest_copies():
    out = report.files(report.document({}, "R1"))
    assert sorted(out) == ["latest.json", "latest.md", "skoala-upgrade-R1.json", "skoala-upgrade-R1.md"]
    assert out["latest.json"] == out["skoala-upgrade-R1.json"]
    assert json.loads(out["latest.json"])["run_id"] == "R1"


def test_cluster_that_failed_before_its_upgrade_began_is_failed_not_pending():
    # w2 failed (e.g. in the repository step) before its release's upgrade started;
    # w3's plan was `none`: unchanged even if its cluster failed later
    doc = report.document(hosts(), "r", "0.28.1", failed_hosts=["w2", "w3"])
    assert {r["cluster"]: r["result"] for r in doc["releases"]} == {
        "g": "upgraded", "w1": "failed", "w2": "failed", "w3": "unchanged"}
    assert doc["counts"] == {"upgraded": 1, "failed": 2, "unchanged": 1}


@pytest.mark.parametrize("action, noted", [("install", True), ("upgrade", True), ("finish", True),
                                           ("none", False), ("refuse", False)])
def test_with_start_notes_only_a_release_the_run_changes(action, noted):
    plan = {"component": "skoala-init", "release": "skoala-init", "current": "0.19.2", "target": "0.28.1",
            "action": action}
    earlier = {"skoala": {"result": "upgraded"}}
    report_now = report.with_start(earlier, plan, 10.0, {})
    assert report_now["skoala"] == {"result": "upgraded"}
    assert ("skoala-init" in report_now) is noted
    if noted:
        assert report_now["skoala-init"] == report.start_entry(plan, 10.0, {})
    assert earlier == {"skoala": {"result": "upgraded"}}, "the report given is not changed in place"
    assert report.with_start(None, plan, 1.0) == ({"skoala-init": report.start_entry(plan, 1.0)} if noted else {})


def test_start_entry_is_failed_until_the_end_says_otherwise():
    plan = versions.plan("skoala-init", "0.19.2", "0.28.1")
    backups = {"skoala-init": {"values_file": "b/w1.values.yaml"}, "skoala": {"values_file": "b/g.yaml"}}
    assert report.start_entry(plan, 10.0, backups) == {
        "release": "skoala-init", "from": "0.19.2", "to": "0.28.1", "action": "upgrade", "result": "failed",
        "started": 10.0, "backup": "b/w1.values.yaml"}
    new = versions.plan("skoala-init", None, "0.28.1")
    assert report.start_entry(new, 10.0, {})["backup"] is None and report.start_entry(new, 10.0)["from"] is None


# --- merging the parts of one workflow run (docs/awx.md) ---

def _row(cluster, component, result):
    return {"cluster": cluster, "component": component, "release": component, "from": "0.19.2", "to": "0.28.1",
            "action": "upgrade", "steps": [], "result": result, "duration_seconds": 1.0, "backup": None}


def _part(run, *rows_):
    return {"schema_version": 1, "run_id": run, "target_version": "0.28.1", "releases": list(rows_)}


def test_merge_has_every_cluster_of_every_part():
    from ansible_collections.dce5.skoala.plugins.module_utils import report as rep
    doc = rep.merge([_part("R", _row("cp", "skoala", "upgraded")),
                     _part("R", _row("w1", "skoala-init", "upgraded"), _row("w3", "skoala-init", "upgraded")),
                     _part("R", _row("w2", "skoala-init", "upgraded"))], "R")
    assert [r["cluster"] for r in doc["releases"]] == ["cp", "w1", "w3", "w2"]
    assert doc["result"] == "success" and doc["counts"] == {"upgraded": 4} and doc["run_id"] == "R"


def test_merge_takes_the_latest_attempt_of_a_release():
    from ansible_collections.dce5.skoala.plugins.module_utils import report as rep
    doc = rep.merge([_part("R", _row("w1", "skoala-init", "failed")),
                     _part("R", _row("w1", "skoala-init", "upgraded"))], "R")
    assert doc["releases"][0]["result"] == "upgraded" and doc["result"] == "success"


def test_merge_keeps_upgraded_over_a_later_unchanged():
    from ansible_collections.dce5.skoala.plugins.module_utils import report as rep
    doc = rep.merge([_part("R", _row("w1", "skoala-init", "upgraded")),
                     _part("R", _row("w1", "skoala-init", "unchanged"))], "R")
    assert doc["releases"][0]["result"] == "upgraded"


def test_merge_ignores_parts_of_other_runs_and_fails_when_empty():
    from ansible_collections.dce5.skoala.plugins.module_utils import report as rep
    doc = rep.merge([_part("OTHER", _row("w1", "skoala-init", "upgraded"))], "R")
    assert doc["releases"] == [] and doc["result"] == "failed"


def test_merge_reports_a_failed_slice():
    from ansible_collections.dce5.skoala.plugins.module_utils import report as rep
    doc = rep.merge([_part("R", _row("w1", "skoala-init", "upgraded")),
                     _part("R", _row("w2", "skoala-init", "failed"))], "R")
    assert doc["result"] == "failed" and doc["counts"] == {"upgraded": 1, "failed": 1}


def test_parts_of_reads_config_maps_oldest_first():
    import json
    from ansible_collections.dce5.skoala.plugins.module_utils import report as rep
    cms = [{"metadata": {"name": "b", "creationTimestamp": "2026-12-04T19:02:00Z"},
            "data": {"report.json": json.dumps(_part("R", _row("w2", "skoala-init", "upgraded")))}},
           {"metadata": {"name": "a", "creationTimestamp": "2026-12-04T19:01:00Z"},
            "data": {"report.json": json.dumps(_part("R", _row("cp", "skoala", "upgraded")))}},
           {"metadata": {"name": "empty"}, "data": {}}]
    assert [p["releases"][0]["cluster"] for p in rep.parts_of(cms)] == ["cp", "w2"]


def test_merge_keeps_a_result_over_a_later_not_started():
    from ansible_collections.dce5.skoala.plugins.module_utils import report as rep
    doc = rep.merge([_part("R", _row("w1", "skoala-init", "upgraded")),
                     _part("R", _row("w1", "skoala-init", "not started"))], "R")
    assert doc["releases"][0]["result"] == "upgraded"
    doc = rep.merge([_part("R", _row("w1", "skoala-init", "not started")),
                     _part("R", _row("w1", "skoala-init", "failed"))], "R")
    assert doc["releases"][0]["result"] == "failed"
