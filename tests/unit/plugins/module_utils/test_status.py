"""The read-only fleet status: rows, findings, the JSON document, Markdown,
the screen and the exit decision; values are compared by key only and never
reach the document."""
import json
import os

import pytest
import yaml

from ansible_collections.dce5.skoala.plugins.module_utils import cluster_read, status, versions

NOW = "2026-12-04T22:00:00Z"
DSN = "skoala:s3cret-pass@tcp(mysql:3306)/skoala?charset=utf8"


def summary(component, version, state="deployed", revision=1, tags=None, deployed="2026-12-04T20:00:00.123456789Z"):
    if tags is None:
        tags = dict(versions.image_tag_values(component, version))
    return {"installed": True, "chart": "%s-%s" % (component, version), "version": version, "status": state,
            "revision": revision, "app_version": version, "last_deployed": deployed, "image_tags": tags}


def missing():
    return {"installed": False, "chart": "", "version": None, "status": None, "revision": None,
            "app_version": None, "last_deployed": None, "image_tags": {}}


def read(component, release, version="v1.33.0", backups=None, problem=None, unfinished=None):
    return {"problem": problem, "kubernetes_version": None if problem else version,
            "kubeconfig": {"server": "https://127.0.0.1:6443"},
            "releases": {} if problem else {component: release}, "backups": backups or {},
            "unfinished": unfinished or {}}


COMPONENTS = {"dce-global": ["skoala"], "dce-worker-1": ["skoala-init"], "dce-worker-2": ["skoala-init"]}


def fleet(cp="0.28.1", w1="0.28.1", w2="0.28.1", **over):
    reads = {
        "dce-global": read("skoala", summary("skoala", cp)),
        "dce-worker-1": read("skoala-init", summary("skoala-init", w1)),
        "dce-worker-2": read("skoala-init", summary("skoala-init", w2)),
    }
    reads.update(over)
    return reads


def doc_of(reads, components=None, **kw):
    return status.document(reads, components or COMPONENTS, "20261204T220000Z-abcd", NOW, **kw)


def kinds(doc):
    return [f["kind"] for f in doc["findings"]]


# --- values ------------------------------------------------------------------

def test_value_changes_names_keys_never_values():
    before = {"hive": {"configMap": {"database": [{"driver": "mysql", "dsn": DSN}]}, "replicas": 2}, "gone": 1}
    after = {"hive": {"configMap": {"database": [{"driver": "mysql", "dsn": DSN + "x"}]}, "replicas": 2},
             "new": {"a": [1, 2]}}
    changes = status.value_changes(before, after)
    assert changes == {"added": ["new.a[0]", "new.a[1]"], "removed": ["gone"],
                       "changed": ["hive.configMap.database[0].dsn"]}
    assert DSN not in json.dumps(changes) and "s3cret" not in json.dumps(changes)
    assert status.changed_key_count(changes) == 4


def test_value_changes_none_when_equal_and_handles_empty():
    values = {"a": {"b": [1, {"c": None}]}, "d": {}}
    assert status.value_changes(values, json.loads(json.dumps(values))) == {"added": [], "removed": [], "changed": []}
    assert status.value_changes(None, {}) == {"added": [], "removed": [], "changed": []}
    assert status.value_changes({}, {"x": 1})["added"] == ["x"]
    # a map replaced by a scalar: the old leaves removed, the key added
    assert status.value_changes({"a": {"b": 1}}, {"a": 2}) == {"added": ["a"], "removed": ["a.b"], "changed": []}


# --- time --------------------------------------------------------------------

@pytest.mark.parametrize("then, seconds", [
    ("2026-12-04T21:00:00Z", 3600),
    ("2026-12-04T21:59:59.999999999Z", 1),
    ("2026-12-04T23:00:00+02:00", 3600),
    ("2026-12-01T22:00:00Z", 3 * 86400),
    ("not a time", None),
    (None, None),
])
def test_age_seconds(then, seconds):
    assert status.age_seconds(then, NOW) == seconds


@pytest.mark.parametrize("seconds, text", [(None, "?"), (5, "5s"), (90, "1m"), (7200, "2h"), (3 * 86400 + 5, "3d"),
                                           (-3, "0s")])
def test_age_text(seconds, text):
    assert status.age_text(seconds) == text


# --- image tags --------------------------------------------------------------

def test_image_check_against_chart_version():
    ok = status.image_check("skoala-init", "0.28.1", versions.image_tag_values("skoala-init", "0.28.1"))
    assert ok["match"] is True and ok["mismatched"] == []
    bad = status.image_check("skoala", "0.28.1", {"hive.image.tag": "v0.19.2", "sesame.image.tag": "v0.28.1",
                                                  "ui.image.tag": "v0.19.0"})
    assert bad["match"] is False and bad["mismatched"] == ["hive.image.tag"]
    # the UI moves on its own: never expected
    assert "ui.image.tag" not in bad["expected"]
    assert status.image_check("skoala", "0.28.1", {})["match"] is None
    assert status.image_check("skoala", None, {"hive.image.tag": "v1"})["match"] is None


# --- findings and the exit decision ------------------------------------------

def test_converged_fleet_has_no_findings_and_exits_zero():
    doc = doc_of(fleet())
    assert doc["converged"] is True and doc["result"] == "converged"
    assert doc["findings"] == [] and status.exit_problems(doc) == []
    assert doc["versions"] == ["0.28.1"]
    assert doc["schema_version"] == status.SCHEMA_VERSION == 1 and doc["kind"] == "status"
    assert [r["cluster"] for r in doc["releases"]] == ["dce-global", "dce-worker-1", "dce-worker-2"]
    row = doc["releases"][0]
    assert row["last_deployed"] == "2026-12-04T20:00:00Z" and row["image_tags_match"] is True
    assert row["kubernetes_version"] == "v1.33.0" and row["backup"] is None and row["values_changed"] is None
    assert doc["plan"] is None


def test_worker_left_behind_is_skew_and_fails():
    doc = doc_of(fleet(w2="0.19.2"))
    assert kinds(doc) == ["skew"]
    message = doc["findings"][0]["message"]
    assert "0.19.2 on dce-worker-2/skoala-init" in message
    assert "0.28.1 on dce-global/skoala, dce-worker-1/skoala-init" in message
    assert "skoala_target_version=0.28.1" in message
    assert doc["converged"] is False and status.exit_problems(doc) == [message]
    assert doc["versions"] == ["0.19.2", "0.28.1"]


def test_skew_orders_versions_as_versions_not_text():
    doc = doc_of(fleet(cp="0.9.0", w1="0.10.0", w2="0.10.0"))
    assert "skoala_target_version=0.10.0" in doc["findings"][0]["message"]


@pytest.mark.parametrize("state, kind", [("pending-upgrade", "stuck"), ("pending-install", "stuck"),
                                         ("pending-rollback", "stuck"), ("failed", "failed")])
def test_stuck_or_failed_release_fails(state, kind):
    doc = doc_of(fleet(**{"dce-worker-1": read("skoala-init", summary("skoala-init", "0.28.1", state, 3))}))
    assert kinds(doc) == [kind]
    assert "dce-worker-1/skoala-init" in doc["findings"][0]["message"] and state.split("-")[0] in \
        doc["findings"][0]["message"]
    assert status.exit_problems(doc)
    assert doc["releases"][1]["status"] == state and doc["releases"][1]["revision"] == 3


def test_worker_without_skoala_init_fails():
    doc = doc_of(fleet(**{"dce-worker-2": read("skoala-init", missing())}))
    assert kinds(doc) == ["missing_release"]
    assert "dce-worker-2: the worker has no skoala-init release" in doc["findings"][0]["message"]
    assert status.exit_problems(doc)


def test_unreachable_cluster_fails_and_is_not_skew():
    problem = "dce-worker-2: the API server https://127.0.0.1:1 does not answer"
    doc = doc_of(fleet(**{"dce-worker-2": read("skoala-init", None, problem=problem)}))
    assert kinds(doc) == ["unreachable"]
    assert problem in doc["findings"][0]["message"]
    cluster = [c for c in doc["clusters"] if c["cluster"] == "dce-worker-2"][0]
    assert cluster["reachable"] is False and cluster["problem"] == problem
    row = doc["releases"][2]
    assert row["reachable"] is False and status._cells(row)["state"] == "unreachable"
    assert status.exit_problems(doc)


def test_cluster_not_read_at_all_is_unreachable():
    reads = fleet()
    del reads["dce-worker-1"]
    doc = doc_of(reads)
    assert kinds(doc) == ["unreachable"] and "not read" in doc["findings"][0]["message"]


def test_values_changed_is_a_warning_by_key_and_keeps_exit_zero():
    backups = {"skoala": {"backup": {"meta_file": "/b/dce-global/skoala_r1_rev1.meta.yaml",
                                     "values_file": "/b/dce-global/skoala_r1_rev1.values.yaml",
                                     "time": "2026-12-04T21:00:00Z", "revision": 1, "chart": "skoala-0.28.1",
                                     "run_id": "r1"},
                          "changes": {"added": [], "removed": [], "changed": ["hive.configMap.database[0].dsn"]},
                          "problems": []}}
    doc = doc_of(fleet(**{"dce-global": read("skoala", summary("skoala", "0.28.1"), backups=backups)}))
    assert kinds(doc) == ["values_changed"]
    finding = doc["findings"][0]
    assert finding["severity"] == "warning"
    assert "changed hive.configMap.database[0].dsn" in finding["message"] and "keys only" in finding["message"]
    assert doc["converged"] is True and status.exit_problems(doc) == []
    row = doc["releases"][0]
    assert row["backup"]["age_seconds"] == 3600 and row["backup"]["revision"] == 1
    assert status._cells(row)["backup"] == "1h ago, 1 key changed"


def test_backup_without_changes_and_backup_problems():
    backups = {"skoala-init": {"backup": {"meta_file": "m", "values_file": "v", "time": "2026-12-02T22:00:00Z",
                                          "revision": 2, "chart": "skoala-init-0.28.1", "run_id": "r"},
                               "changes": {"added": [], "removed": [], "changed": []},
                               "problems": ["dce-worker-1: backup metadata x is not valid YAML"]}}
    doc = doc_of(fleet(**{"dce-worker-1": read("skoala-init", summary("skoala-init", "0.28.1"), backups=backups)}))
    assert kinds(doc) == ["backup_problem"] and doc["converged"] is True
    assert status._cells(doc["releases"][1])["backup"] == "2d ago"


def test_image_tags_differ_is_a_warning():
    tags = dict(versions.image_tag_values("skoala-init", "0.28.1"), **{"skoala-agent.image.tag": "v0.19.2"})
    doc = doc_of(fleet(**{"dce-worker-1": read("skoala-init", summary("skoala-init", "0.28.1", tags=tags))}))
    assert kinds(doc) == ["image_tags"] and doc["converged"] is True
    assert "skoala-agent.image.tag=v0.19.2 (expected v0.28.1)" in doc["findings"][0]["message"]
    assert status._cells(doc["releases"][1])["images"] == "differ: skoala-agent"


def test_unfinished_steps_are_a_warning():
    doc = doc_of(fleet(**{"dce-worker-1": read("skoala-init", summary("skoala-init", "0.28.1"),
                                               unfinished={"skoala-init": {"from": "0.19.2", "target": "0.28.1"}})}))
    assert kinds(doc) == ["unfinished"] and doc["converged"] is True


def test_many_findings_at_once_are_counted():
    reads = fleet(w2="0.19.2", **{"dce-worker-1": read("skoala-init", summary("skoala-init", "0.28.1", "failed"))})
    doc = doc_of(reads)
    assert doc["counts"] == {"skew": 1, "failed": 1}
    assert len(status.exit_problems(doc)) == 2


def test_global_cluster_in_both_groups_runs_both_releases():
    components = {"dce-global": ["skoala", "skoala-init"]}
    reads = {"dce-global": {"problem": None, "kubernetes_version": "v1.30.0", "kubeconfig": {}, "backups": {},
                            "releases": {"skoala": summary("skoala", "0.28.1"),
                                         "skoala-init": summary("skoala-init", "0.28.1")}}}
    doc = doc_of(reads, components)
    expected = [("dce-global", "skoala"), ("dce-global", "skoala-init")]
    assert [(r["cluster"], r["component"]) for r in doc["releases"]] == expected
    assert doc["converged"] is True


# --- the plan ------------------------------------------------------------------

def test_plan_added_with_a_target():
    plans = {"dce-global": [versions.plan("skoala", "0.19.2", "0.28.1", status="deployed")],
             "dce-worker-1": [versions.plan("skoala-init", "0.19.2", "0.28.1", status="deployed")]}
    reads = fleet(cp="0.19.2", w1="0.19.2", w2="0.19.2")
    doc = doc_of(reads, target="0.28.1", plans=plans)
    assert doc["target_version"] == "0.28.1"
    assert [(p["cluster"], p["action"]) for p in doc["plan"]] == [("dce-global", "upgrade"),
                                                                  ("dce-worker-1", "upgrade")]
    worker = doc["plan"][1]
    assert worker["steps"].startswith("delete_jobs") and worker["step_list"][0]["name"] == "delete_jobs"
    assert worker["reason"] == "0.19.2 -> 0.28.1"
    lines = status.table(doc)
    assert any(line.startswith("PLAN to 0.28.1") for line in lines)
    assert "## Plan to `0.28.1`" in status.markdown(doc)


def test_plans_by_cluster_from_loop_results():
    plan = versions.plan("skoala-init", "0.19.2", "0.28.1")
    results = [{"item": [{"cluster": "w1"}, "skoala-init"], "plan": plan},
               {"item": [{"cluster": "w2"}, "skoala-init"], "skipped": True}]
    assert status.plans_by_cluster(results) == {"w1": [plan]}
    assert status.plans_by_cluster(None) == {}


# --- rendering -------------------------------------------------------------------

def test_table_and_markdown():
    doc = doc_of(fleet(w2="0.19.2"))
    lines = status.table(doc)
    assert lines[0] == "fleet NOT converged: 3 clusters, versions 0.19.2, 0.28.1; 1 error, 0 warnings"
    assert lines[2].split() == [c.upper() for c in status.COLUMNS]
    assert lines[-1].startswith("error   skew")
    md = status.markdown(doc)
    assert md.startswith("# skoala fleet status\n") and "- result: **not converged**" in md
    assert "| dce-worker-2 | skoala-init | 0.19.2 | 0.19.2 | deployed | 1 |" in md
    assert "**error** `skew`" in md
    converged = status.markdown(doc_of(fleet()))
    assert "None: the fleet is converged." in converged
    assert status.table(doc_of(fleet()))[0].startswith("fleet converged: 3 clusters, version 0.28.1;")


def test_markdown_escapes_pipes():
    reads = fleet(**{"dce-worker-2": read("skoala-init", None, problem="dce-worker-2: a|b")})
    assert "a\\|b" in status.markdown(doc_of(reads))


def test_files_follow_the_report_conventions():
    doc = doc_of(fleet())
    out = status.files(doc)
    assert sorted(out) == ["skoala-status-20261204T220000Z-abcd.json", "skoala-status-20261204T220000Z-abcd.md",
                           "status-latest.json", "status-latest.md"]
    assert json.loads(out["status-latest.json"]) == doc
    assert out["status-latest.md"] == status.markdown(doc)
    # the upgrade report's latest.* are left alone
    assert "latest.json" not in out


# --- where the values are read: cluster_read.backup_state ---------------------------

def write_backup(directory, cluster, release, run_id, revision, values, time="2026-12-04T21:00:00Z"):
    where = os.path.join(str(directory), cluster)
    os.makedirs(where, exist_ok=True)
    stem = "%s_%s_rev%d" % (release, run_id, revision)
    with open(os.path.join(where, stem + ".values.yaml"), "w") as f:
        yaml.safe_dump(values, f)
    meta = {"cluster": cluster, "release": release, "component": release, "namespace": "skoala-system",
            "revision": revision, "chart": "%s-0.19.2" % release, "time": time, "run_id": run_id,
            "values_file": stem + ".values.yaml"}
    with open(os.path.join(where, stem + ".meta.yaml"), "w") as f:
        yaml.safe_dump(meta, f)


def found(user_values):
    return {"status": {"chart": "skoala-0.19.2", "user_values": user_values}}


def test_backup_state_compares_where_read_and_returns_keys_only(tmp_path):
    values = {"hive": {"configMap": {"database": [{"driver": "mysql", "dsn": DSN}]}}, "sandboxCustomKey": "kept"}
    write_backup(tmp_path, "dce-global", "skoala", "20261201T000000Z-aaaa", 1, values, "2026-12-01T00:00:00Z")
    write_backup(tmp_path, "dce-global", "skoala", "20261204T000000Z-bbbb", 2, values, "2026-12-04T00:00:00Z")
    now = dict(values, sandboxCustomKey="changed")
    state = cluster_read.backup_state(str(tmp_path), "dce-global", "skoala", found(now))
    assert state["backup"]["run_id"] == "20261204T000000Z-bbbb" and state["backup"]["revision"] == 2
    assert state["changes"] == {"added": [], "removed": [], "changed": ["sandboxCustomKey"]}
    assert state["problems"] == []
    text = json.dumps(state)
    assert DSN not in text and "s3cret" not in text and "changed\"" not in text.replace('"changed":', "")
    same = cluster_read.backup_state(str(tmp_path), "dce-global", "skoala", found(values))
    assert status.changed_key_count(same["changes"]) == 0


def test_backup_state_without_backup_or_release(tmp_path):
    assert cluster_read.backup_state(str(tmp_path), "w", "skoala-init", found({})) == \
        {"backup": None, "changes": None, "problems": []}
    write_backup(tmp_path, "w", "skoala-init", "r1", 1, {"a": 1})
    state = cluster_read.backup_state(str(tmp_path), "w", "skoala-init", {})
    assert state["backup"]["revision"] == 1 and state["changes"] is None


def test_backup_state_unreadable_values_names_the_file_not_the_content(tmp_path):
    write_backup(tmp_path, "w", "skoala-init", "r1", 1, {"a": 1})
    with open(os.path.join(str(tmp_path), "w", "skoala-init_r1_rev1.values.yaml"), "w") as f:
        f.write("dsn: %s\n  bad: [indent\n" % DSN)
    state = cluster_read.backup_state(str(tmp_path), "w", "skoala-init", found({"a": 1}))
    assert state["changes"] is None and "cannot be read" in state["problems"][0]
    assert DSN not in json.dumps(state)


def test_document_never_holds_values():
    """Whatever reaches the document is summaries and keys: a DSN in a
    release's computed values never does (release_summary drops them)."""
    from ansible_collections.dce5.skoala.plugins.module_utils import releases
    helm = {"status": {"chart": "skoala-0.28.1", "status": "deployed", "revision": 2, "app_version": "0.28.1",
                       "values": {"hive": {"configMap": {"database": [{"dsn": DSN}]}, "image": {"tag": "v0.28.1"}}},
                       "user_values": {"hive": {"configMap": {"database": [{"dsn": DSN}]}}},
                       "last_deployed": "2026-12-04T21:00:00Z"}}
    reads = fleet(**{"dce-global": read("skoala", releases.release_summary(helm, "skoala"))})
    doc = doc_of(reads)
    everything = json.dumps(doc) + status.markdown(doc) + "\n".join(status.table(doc))
    assert DSN not in everything and "s3cret" not in everything
    assert doc["releases"][0]["last_deployed"] == "2026-12-04T21:00:00Z"
