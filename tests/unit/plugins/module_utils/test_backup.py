"""Backups: naming, finding the newest of a release, Helm's history from its
Secrets, and the rollback decision. No cluster, no files: directories are
dicts of file name -> text."""
import base64
import gzip
import json

import pytest
import yaml

from ansible_collections.dce5.skoala.plugins.module_utils import backup, versions
from ansible_collections.dce5.skoala.plugins.filter.skoala import FilterModule

DSN = "skoala:p@ss:w&rd=%x@tcp(mysql:3306)/skoala?charset=utf8"
DIR = "/b/dce-global"


def helm_info(chart, status="deployed", revision=3, values=None):
    return {"status": {"chart": chart, "status": status, "revision": str(revision), "app_version": "x",
                       "values": values or {}}}


# --- naming and writing ------------------------------------------------------

def test_backup_name_release_run_revision():
    name = backup.backup_name("/b", "dce-global", "skoala-init", "20261121T000000Z", 4)
    assert name == {"directory": "/b/dce-global",
                    "values_name": "skoala-init_20261121T000000Z_rev4.values.yaml",
                    "meta_name": "skoala-init_20261121T000000Z_rev4.meta.yaml",
                    "values_file": "/b/dce-global/skoala-init_20261121T000000Z_rev4.values.yaml",
                    "meta_file": "/b/dce-global/skoala-init_20261121T000000Z_rev4.meta.yaml"}
    assert backup.NAME.match(name["meta_name"]).group("release") == "skoala-init"
    assert backup.backup_name("/b/", "c", "skoala", "r", "2")["meta_file"] == "/b/c/skoala_r_rev2.meta.yaml"


@pytest.mark.parametrize("args", [
    ("/b", "c", "my_release", "r", 1), ("/b", "c", "skoala", "run_1", 1), ("/b", "c/d", "skoala", "r", 1),
    ("/b", "c", "skoala", "r", None), ("/b", "c", "skoala", "r", "x"), ("/b", "c", "", "r", 1),
])
def test_backup_name_refuses_parts_that_would_make_it_ambiguous(args):
    with pytest.raises(ValueError):
        backup.backup_name(*args)


def test_backup_files_and_index():
    plan = versions.plan("skoala", "0.19.2", "0.28.1")
    results = [dict(helm_info("skoala-0.19.2", revision=4, values={"a": 1, "dsn": DSN}), item=plan)]
    files = backup.backup_files(results, "/b", "g", "20261121T000000Z")
    v, m = files["values"][0], files["meta"][0]
    assert v["values_file"] == "/b/g/skoala_20261121T000000Z_rev4.values.yaml"
    assert m["meta_file"] == "/b/g/skoala_20261121T000000Z_rev4.meta.yaml"
    assert v["content"] == "a: 1\ndsn: %s\n" % DSN
    assert m["meta"]["revision"] == 4 and m["meta"]["chart_version"] == "0.19.2" and m["meta"]["cluster"] == "g"
    assert m["meta"]["values_file"] == "skoala_20261121T000000Z_rev4.values.yaml"
    # nothing secret in what the metadata task loops over
    assert "p@ss" not in repr(files["meta"])
    assert backup.backup_index(files["meta"]) == {"skoala": {
        "values_file": v["values_file"], "meta_file": m["meta_file"], "revision": 4}}
    assert backup.backup_values_by_component(files["values"]) == {"skoala": {"a": 1, "dsn": DSN}}


def test_backup_private_files_values_first_then_meta_with_time():
    results = [{"item": {"release": "skoala", "component": "skoala", "namespace": "skoala-system",
                         "current": "0.19.2", "target": "0.28.1"},
                "status": {"revision": "3", "values": {"hive": {"dsn": "u:p@tcp(db)/x"}},
                           "chart": "skoala-0.19.2", "status": "deployed", "app_version": "0.19.2"}}]
    files = backup.backup_files(results, "/b", "dce-global", "R1")
    out = backup.backup_private_files(files, "2026-01-01T00:00:00Z")
    assert [f["name"] for f in out] == ["skoala_R1_rev3.values.yaml", "skoala_R1_rev3.meta.yaml"]
    assert yaml.safe_load(out[0]["content"]) == {"hive": {"dsn": "u:p@tcp(db)/x"}}
    meta = yaml.safe_load(out[1]["content"])
    assert meta["cluster"] == "dce-global" and meta["time"] == "2026-01-01T00:00:00Z"
    assert meta["revision"] == 3 and meta["values_file"] == "skoala_R1_rev3.values.yaml"
    assert "u:p" not in out[1]["content"]
    # what it writes is what the finder reads back
    found = backup.newest_backup("dce-global", "skoala", DIR, {out[1]["name"]: out[1]["content"]},
                                 [f["name"] for f in out])
    assert found["problems"] == [] and found["backup"]["revision"] == 3


def test_filters_never_echo_their_input_on_error():
    from ansible.errors import AnsibleFilterError
    backup_files = FilterModule().filters()["backup_files"]
    with pytest.raises(AnsibleFilterError) as err:
        backup_files([{"status": {"values": {"dsn": DSN}}, "item": None}], "/b", "c", "r")
    assert "p@ss" not in str(err.value) and "backup_files failed" in str(err.value)
    assert err.value.__cause__ is None


def test_filters_exposed():
    assert {"backup_files", "backup_private_files", "backup_index", "backup_values_by_component",
            "rollback_argv", "rollback_failure", "rollback_table"} <= set(FilterModule().filters())


# --- finding the newest backup -----------------------------------------------

def meta(release, run_id, revision, cluster="dce-global", time=None, chart=None, old=False, **extra):
    """(meta file name, its text, values file name) as backup_values writes them."""
    stem = ("%s-%s-rev%s" if old else "%s_%s_rev%s") % (release, run_id, revision)
    day, hms = run_id[:8], run_id[9:15]
    default_time = "%s-%s-%sT%s:%s:%sZ" % (day[:4], day[4:6], day[6:], hms[:2], hms[2:4], hms[4:])
    doc = {"cluster": cluster, "release": release, "component": release, "namespace": "skoala-system",
           "revision": revision, "chart": chart or "%s-0.19.2" % release, "chart_version": "0.19.2",
           "run_id": run_id, "time": time or default_time, "values_file": stem + ".values.yaml"}
    doc.update(extra)
    return stem + ".meta.yaml", yaml.safe_dump(doc), stem + ".values.yaml"


def directory(*entries):
    """metas and names for newest_backup from meta(...) entries."""
    metas = {name: text for name, text, values in entries}
    names = [name for name, text, values in entries] + [values for name, text, values in entries]
    return metas, names


RUN1, RUN2, RUN3 = "20261101T000000Z", "20261102T000000Z", "20261103T000000Z"


def test_both_charts_of_several_runs_each_release_gets_its_own():
    # the global cluster in both groups: skoala and skoala-init, three runs each;
    # skoala-init sorts after skoala as text, which fooled the old glob skoala-*
    metas, names = directory(
        meta("skoala", RUN1, 1), meta("skoala", RUN2, 3), meta("skoala", RUN3, 5, chart="skoala-0.28.1"),
        meta("skoala-init", RUN1, 1), meta("skoala-init", RUN2, 2), meta("skoala-init", RUN3, 7))
    skoala = backup.newest_backup("dce-global", "skoala", DIR, metas, names)
    init = backup.newest_backup("dce-global", "skoala-init", DIR, metas, names)
    assert skoala["problems"] == [] and init["problems"] == []
    assert (skoala["backup"]["release"], skoala["backup"]["revision"]) == ("skoala", 5)
    assert (init["backup"]["release"], init["backup"]["revision"]) == ("skoala-init", 7)
    assert skoala["backup"]["meta_file"] == DIR + "/skoala_%s_rev5.meta.yaml" % RUN3
    assert skoala["backup"]["values_file"] == DIR + "/skoala_%s_rev5.values.yaml" % RUN3
    assert len(skoala["ignored"]) == 3 and all(n.startswith("skoala-init_") for n in skoala["ignored"])


def test_newest_by_time_then_run_id_not_by_name():
    # a run id given with -e sorts anywhere as text; the meta's time decides
    metas, names = directory(meta("skoala", "zzz-manual", 2, time="2026-01-01T00:00:00Z"),
                             meta("skoala", "aaa-later", 4, time="2026-06-01T00:00:00Z"),
                             meta("skoala", "bbb-same-time", 3, time="2026-01-01T00:00:00Z"))
    assert backup.newest_backup("dce-global", "skoala", DIR, metas, names)["backup"]["run_id"] == "aaa-later"
    metas, names = directory(meta("skoala", "aaa", 2, time="2026-01-01T00:00:00Z"),
                             meta("skoala", "bbb", 1, time="2026-01-01T00:00:00Z"))
    assert backup.newest_backup("dce-global", "skoala", DIR, metas, names)["backup"]["run_id"] == "bbb"


def test_unquoted_time_read_as_a_time():
    name, text, values = meta("skoala", RUN1, 1)
    text = text.replace("'2026-11-01T00:00:00Z'", "2026-11-01T00:00:00Z")
    assert "time: 2026-11-01T00:00:00Z" in text
    found = backup.newest_backup("dce-global", "skoala", DIR, {name: text}, [name, values])
    assert found["backup"]["time"] == "2026-11-01T00:00:00Z"


def test_other_clusters_files_are_ignored():
    metas, names = directory(meta("skoala-init", RUN3, 9, cluster="worker-2"), meta("skoala-init", RUN1, 1))
    found = backup.newest_backup("dce-global", "skoala-init", DIR, metas, names)
    assert found["problems"] == [] and found["backup"]["revision"] == 1
    assert found["ignored"] == ["skoala-init_%s_rev9.meta.yaml" % RUN3]


def test_only_other_clusters_files_is_no_backup():
    metas, names = directory(meta("skoala", RUN1, 1, cluster="elsewhere"))
    found = backup.newest_backup("dce-global", "skoala", DIR, metas, names)
    assert found["backup"] is None and found["problems"] == []


def test_old_format_names_read_by_content():
    metas, names = directory(meta("skoala", RUN1, 1, old=True), meta("skoala-init", RUN2, 2, old=True),
                             meta("skoala", RUN2, 2, old=True))
    skoala = backup.newest_backup("dce-global", "skoala", DIR, metas, names)
    init = backup.newest_backup("dce-global", "skoala-init", DIR, metas, names)
    assert skoala["backup"]["meta_file"] == DIR + "/skoala-%s-rev2.meta.yaml" % RUN2
    assert init["backup"]["meta_file"] == DIR + "/skoala-init-%s-rev2.meta.yaml" % RUN2
    assert skoala["problems"] == init["problems"] == []


def test_old_and_new_format_together_newest_wins():
    metas, names = directory(meta("skoala", RUN1, 1, old=True), meta("skoala", RUN2, 3))
    assert backup.newest_backup("dce-global", "skoala", DIR, metas, names)["backup"]["revision"] == 3
    metas, names = directory(meta("skoala", RUN3, 4, old=True), meta("skoala", RUN2, 3))
    assert backup.newest_backup("dce-global", "skoala", DIR, metas, names)["backup"]["revision"] == 4


def test_empty_directory_and_missing_directory():
    assert backup.newest_backup("c", "skoala", DIR, {}, []) == {
        "backup": None, "problems": [], "ignored": [], "exists": True}
    assert backup.newest_backup("c", "skoala", DIR, {}, [], exists=False)["exists"] is False


def test_files_that_are_not_backups_are_ignored():
    found = backup.newest_backup("dce-global", "skoala", DIR, {"notes.meta.yaml": "x: 1"}, ["notes.meta.yaml"])
    assert found == {"backup": None, "problems": [], "ignored": ["notes.meta.yaml"], "exists": True}


def one_problem(metas, names, release="skoala", cluster="dce-global"):
    found = backup.newest_backup(cluster, release, DIR, metas, names)
    assert len(found["problems"]) == 1, found
    return found["problems"][0]


def test_truncated_meta_is_a_problem_naming_cluster_file_fix():
    name, text, values = meta("skoala", RUN2, 3)
    metas, names = directory(meta("skoala", RUN1, 1))
    metas[name], names = text[:25], names + [name, values]
    problem = one_problem(metas, names)
    assert problem.startswith("dce-global: backup metadata %s/%s " % (DIR, name))
    assert "restore it from a copy, or move it" in problem


@pytest.mark.parametrize("text, what", [
    ("release: skoala\ncluster: [dce-global\n", "is not valid YAML (line 3), likely cut short"),
    ("", "is empty, not backup metadata"),
    ("- a\n- b\n", "is not a mapping"),
    ("release: skoala\ncluster: dce-global\n", "lacks namespace, revision, chart, values_file, time, run_id"),
    (None, "cannot be read"),
])
def test_unreadable_meta_of_the_release(text, what):
    name = "skoala_%s_rev1.meta.yaml" % RUN1
    problem = one_problem({name: text}, [name, "skoala_%s_rev1.values.yaml" % RUN1])
    assert what in problem and DIR + "/" + name in problem and problem.startswith("dce-global: ")


@pytest.mark.parametrize("revision, shown", [("three", "'three'"), ("3", "'3'"), (0, "0"), (-1, "-1"),
                                             (2.5, "2.5"), (True, "True")])
def test_hand_edited_revision(revision, shown):
    name, text, values = meta("skoala", RUN1, 1)
    doc = yaml.safe_load(text)
    doc["revision"] = revision
    problem = one_problem({name: yaml.safe_dump(doc)}, [name, values])
    assert "has revision %s, not a whole number above 0" % shown in problem


def test_values_file_missing():
    name, text, values = meta("skoala", RUN1, 1)
    problem = one_problem({name: text}, [name])
    assert "names the values file %s, which is not in %s" % (values, DIR) in problem
    assert "restore the values file" in problem


def test_named_for_the_release_but_records_another():
    name, text, values = meta("skoala-init", RUN1, 1)
    renamed = name.replace("skoala-init_", "skoala_")
    problem = one_problem({renamed: text}, [renamed, values])
    assert "is named for release skoala but records release skoala-init" in problem


def test_problem_of_one_release_is_not_the_others():
    good = meta("skoala", RUN1, 1)
    bad_name, bad_text, bad_values = meta("skoala-init", RUN1, 1)
    metas, names = directory(good)
    metas[bad_name], names = bad_text[:20], names + [bad_name, bad_values]
    skoala = backup.newest_backup("dce-global", "skoala", DIR, metas, names)
    assert skoala["problems"] == [] and skoala["backup"]["revision"] == 1
    assert len(backup.newest_backup("dce-global", "skoala-init", DIR, metas, names)["problems"]) == 1


def test_truncated_old_format_file_attributed_by_its_name():
    init_name = "skoala-init-%s-rev1.meta.yaml" % RUN1
    skoala_name = "skoala-%s-rev1.meta.yaml" % RUN1
    metas = {init_name: "release: sko", skoala_name: "cluster: dce-"}
    names = list(metas)
    init = backup.newest_backup("dce-global", "skoala-init", DIR, metas, names)
    skoala = backup.newest_backup("dce-global", "skoala", DIR, metas, names)
    assert [init_name in p for p in init["problems"]] == [True]
    assert [skoala_name in p for p in skoala["problems"]] == [True]


def test_huge_file_is_not_metadata():
    name = "skoala_%s_rev1.meta.yaml" % RUN1
    assert "far too large" in one_problem({name: "x" * (backup.META_MAX_BYTES + 1)}, [name])


# --- Helm's history ----------------------------------------------------------

def helm_secret(revision, chart, status, values=None, gzipped=True, labels=True):
    name, version = chart.rsplit("-", 1)
    record = {"name": name, "version": revision, "info": {"status": status},
              "chart": {"metadata": {"name": name, "version": version}, "values": {"default": "x"}},
              "config": values or {"hive": {"dsn": DSN}}, "manifest": "kind: ConfigMap"}
    raw = json.dumps(record).encode()
    helm_encoded = base64.b64encode(gzip.compress(raw) if gzipped else raw)
    secret = {"metadata": {"name": "sh.helm.release.v1.%s.v%d" % (name, revision)},
              "data": {"release": base64.b64encode(helm_encoded).decode()}}
    if labels:
        secret["metadata"]["labels"] = {"owner": "helm", "name": name, "status": status, "version": str(revision)}
    return secret


def test_helm_history_chart_and_status_never_values():
    secrets = [helm_secret(2, "skoala-0.28.1", "deployed"),
               helm_secret(1, "skoala-0.19.2", "superseded", gzipped=False)]
    history = backup.helm_history(secrets)
    assert history == [{"revision": 1, "chart": "skoala-0.19.2", "status": "superseded"},
                       {"revision": 2, "chart": "skoala-0.28.1", "status": "deployed"}]
    assert "p@ss" not in repr(history)


def test_helm_history_undecodable_record_keeps_labels():
    secret = helm_secret(4, "skoala-0.28.1", "failed")
    secret["data"]["release"] = base64.b64encode(b"not base64 !!").decode()
    assert backup.helm_history([secret]) == [{"revision": 4, "chart": None, "status": "failed"}]
    assert backup.helm_history([{"metadata": {}}]) == []


# --- the decision ------------------------------------------------------------

def found_backup(revision=1, chart="skoala-init-0.19.2", release="skoala-init"):
    name, text, values = meta(release, RUN1, revision, chart=chart)
    return backup.newest_backup("dce-global", release, DIR, {name: text}, [name, values])


UPGRADED = [{"revision": 1, "chart": "skoala-init-0.19.2", "status": "superseded"},
            {"revision": 2, "chart": "skoala-init-0.28.1", "status": "deployed"}]


def decide(found, history, unreachable=None, component="skoala-init"):
    return backup.decide("dce-global", component, component, "skoala-system", DIR, found, history, unreachable,
                         "/k/global.yaml", None)


def test_decide_rollback_with_admission_jobs_for_skoala_init():
    out = decide(found_backup(), UPGRADED)
    assert out["decision"] == "rollback" and out["problem"] is None and out["revision_kept"] is True
    assert out["current"] == UPGRADED[-1]
    assert out["rollback"] == {
        "cluster": "dce-global", "release": "skoala-init", "component": "skoala-init", "namespace": "skoala-system",
        "decision": "rollback", "revision": 1, "chart": "skoala-init-0.19.2",
        "from": "rev 2 skoala-init-0.28.1 (deployed)", "to": "rev 1 skoala-init-0.19.2",
        "backup": DIR + "/skoala-init_%s_rev1.meta.yaml" % RUN1, "jobs": list(versions.ADMISSION_JOBS)}


def test_decide_rollback_of_skoala_deletes_no_jobs():
    history = [{"revision": 1, "chart": "skoala-0.19.2", "status": "superseded"},
               {"revision": 2, "chart": "skoala-0.28.1", "status": "deployed"}]
    out = decide(found_backup(chart="skoala-0.19.2", release="skoala"), history, component="skoala")
    assert out["decision"] == "rollback" and out["rollback"]["jobs"] == []


def test_decide_none_when_deployed_at_the_backed_up_chart():
    history = UPGRADED + [{"revision": 3, "chart": "skoala-init-0.19.2", "status": "deployed"}]
    out = decide(found_backup(), history)
    assert out["decision"] == "none" and out["rollback"]["jobs"] == []


def test_decide_rollback_when_at_the_chart_but_not_deployed():
    history = UPGRADED + [{"revision": 3, "chart": "skoala-init-0.19.2", "status": "failed"}]
    assert decide(found_backup(), history)["decision"] == "rollback"
    pending = UPGRADED[:1] + [{"revision": 2, "chart": "skoala-init-0.28.1", "status": "pending-upgrade"}]
    assert decide(found_backup(), pending)["decision"] == "rollback"


def test_decide_revision_dropped_by_history_max():
    history = [{"revision": n, "chart": "skoala-init-0.28.1", "status": "superseded"} for n in (4, 5)]
    out = decide(found_backup(), history)
    assert out["decision"] == "problem" and out["revision_kept"] is False
    assert out["problem"].startswith("dce-global: backup %s/skoala-init_%s_rev1.meta.yaml records skoala-init "
                                     "revision 1 (skoala-init-0.19.2), but Helm no longer keeps revision 1 "
                                     "(it keeps 4-5;" % (DIR, RUN1))
    assert "helm upgrade --install skoala-init <repo>/skoala-init --version 0.19.2 -n skoala-system -f " \
           "%s/skoala-init_%s_rev1.values.yaml --kubeconfig /k/global.yaml" % (DIR, RUN1) in out["problem"]


def test_decide_revision_reused_after_reinstall():
    history = [{"revision": 1, "chart": "skoala-init-0.28.1", "status": "superseded"},
               {"revision": 2, "chart": "skoala-init-0.28.1", "status": "deployed"}]
    out = decide(found_backup(), history)
    assert out["decision"] == "problem" and out["revision_kept"] is False
    assert "revision 1 is now skoala-init-0.28.1, not skoala-init-0.19.2: the release was uninstalled and " \
           "installed again" in out["problem"]


def test_decide_not_installed():
    out = decide(found_backup(), [])
    assert out["decision"] == "problem" and out["current"] is None
    assert "release skoala-init is not installed in skoala-system" in out["problem"]


def test_decide_no_backup():
    out = decide(backup.newest_backup("dce-global", "skoala-init", DIR, {}, []), UPGRADED)
    assert out["problem"] == (
        "dce-global: no backup of release skoala-init in %s; set skoala_backup_dir to the directory upgrade.yml "
        "(or the role dce5.skoala.backup_values) wrote its backups to (it holds one directory per cluster), or leave this cluster out with "
        "--limit '!dce-global' (upgrade.yml backs up only releases it changes)." % DIR)
    assert out["rollback"]["revision"] is None and out["rollback"]["backup"] == "-"
    missing = decide(backup.newest_backup("dce-global", "skoala-init", DIR, {}, [], exists=False), UPGRADED)
    assert "(no such directory)" in missing["problem"]


def test_decide_unreachable_is_a_problem_even_with_a_good_backup():
    out = decide(found_backup(), None, unreachable="dce-global: cannot reach the API server https://x (...)")
    assert out["decision"] == "problem" and out["revision_kept"] is None
    assert out["problem"] == "dce-global: cannot reach the API server https://x (...)"
    out = decide(found_backup(), None, unreachable="skoala_kubeconfig /k does not exist; point it")
    assert out["problem"] == "dce-global: skoala_kubeconfig /k does not exist; point it"


def test_decide_file_problem_wins_over_already_deployed():
    name, text, values = meta("skoala-init", RUN1, 1)
    found = backup.newest_backup("dce-global", "skoala-init", DIR, {name: text[:30]}, [name, values])
    out = decide(found, UPGRADED)
    assert out["decision"] == "problem" and len(out["problems"]) == 1


# --- what the roles run and show ---------------------------------------------

def test_rollback_argv():
    rollback = decide(found_backup(), UPGRADED)["rollback"]
    assert backup.rollback_argv(rollback, "/usr/bin/helm", 600, "/k/a.yaml", "ctx") == [
        "/usr/bin/helm", "rollback", "skoala-init", "1", "-n", "skoala-system", "--wait", "--timeout", "600s",
        "--kubeconfig", "/k/a.yaml", "--kube-context", "ctx"]
    assert backup.rollback_argv(rollback, "helm", "30", "/k/a.yaml", "")[-3:] == ["30s", "--kubeconfig", "/k/a.yaml"]


def test_rollback_failure_masks_dsn_passwords_and_says_what_to_do():
    rollback = decide(found_backup(), UPGRADED)["rollback"]
    msg = backup.rollback_failure(rollback, 1, "Error: cannot patch \"x\": data: %s\n more" % DSN, "/k/a.yaml")
    assert "p@ss" not in msg and "skoala:********@tcp(mysql:3306)" in msg
    assert msg.startswith("dce-global: helm rollback of skoala-init to revision 1 (skoala-init-0.19.2) failed "
                          "(exit 1): Error: cannot patch")
    assert "helm history skoala-init -n skoala-system --kubeconfig /k/a.yaml" in msg
    assert len(backup.rollback_failure(rollback, 1, "x" * 5000)) < 1000
    assert "failed (exit 1): no output. " in backup.rollback_failure(rollback, 1, None)


def test_rollback_failure_masks_the_password_wherever_helm_repeats_it():
    rollback = decide(found_backup(), UPGRADED)["rollback"]
    msg = backup.rollback_failure(rollback, 1, "Error: %s: Access denied (using password: p@ss:w&rd=%%x)" % DSN)
    assert "p@ss" not in msg and "(using password: ********)" in msg


def test_rollback_table_control_plane_first():
    skoala = decide(found_backup(chart="skoala-0.19.2", release="skoala"),
                    [{"revision": 1, "chart": "skoala-0.19.2", "status": "deployed"}], component="skoala")
    init = decide(found_backup(), UPGRADED)
    lines = backup.rollback_table([[dict(init["rollback"], cluster="a-worker")],
                                   [init["rollback"], skoala["rollback"]]])
    assert lines[0].split() == ["CLUSTER", "RELEASE", "DECISION", "FROM", "TO", "BACKUP"]
    assert [line.split()[:3] for line in lines[2:]] == [
        ["dce-global", "skoala", "none"], ["a-worker", "skoala-init", "rollback"],
        ["dce-global", "skoala-init", "rollback"]]
    # the file name only: the directory is <backup dir>/<cluster>
    assert lines[-1].endswith("  skoala-init_%s_rev1.meta.yaml" % RUN1) and DIR not in lines[-1]
