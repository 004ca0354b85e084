"""Backing up many clusters' releases in one process: the user-supplied
values (what `helm get values` shows: the release record's config, not the
chart's defaults), files 0600 in 0700 directories named as rollback finds
them, problems as results without values, clusters in parallel. The
Kubernetes API is the small fake of test_cluster_read; the module runs
against real API servers in tests/integration (test_upgrade, test_rollback)."""
import os
import stat
import time

import yaml

from ansible_collections.dce5.skoala.plugins.module_utils import backup, release_backups
import test_cluster_read
from test_cluster_read import FakeKube, helm_secret

# The kubeconfig files fixture, shared with test_cluster_read (pytest finds it by name).
kubeconfigs = test_cluster_read.kubeconfigs

DSN = "root:Pa55-w0rd@tcp(mysql:3306)/skoala"
RUN_ID = "20261205T010203Z-ab12"
TIME = "2026-12-05T01:02:03Z"


def plan(component="skoala-init", current="0.19.2", target="0.28.1"):
    return {"component": component, "release": component, "namespace": "skoala-system", "current": current,
            "target": target, "action": "upgrade"}


def cluster(path, name="w1", plans=None):
    return {"cluster": name, "kubeconfig": path, "context": None, "plans": [plan()] if plans is None else plans}


def fake(path, **extra):
    secrets = [helm_secret("skoala-init", 1, "0.19.2", "superseded"),
               helm_secret("skoala-init", 2, "0.19.2", defaults={"chartDefault": 1},
                           config={"skoala-agent": {"replicas": 2}, "db": {"dsn": DSN}})]
    return FakeKube({path: dict({"namespaces": ["skoala-system"], "secrets": secrets}, **extra)})


def test_writes_the_user_values_and_meta_where_rollback_finds_them(kubeconfigs, tmp_path):
    path = kubeconfigs("w1")
    backup_dir = str(tmp_path / "backups")
    out = release_backups.back_up_fleet([cluster(path)], fake(path), backup_dir, RUN_ID, TIME)
    res = out["w1"]
    assert res["problem"] is None
    entry = res["backups"]["skoala-init"]
    assert entry["revision"] == 2
    with open(entry["values_file"]) as f:
        # helm get values: the user-supplied values only, never the chart's defaults
        assert yaml.safe_load(f) == {"skoala-agent": {"replicas": 2}, "db": {"dsn": DSN}}
    with open(entry["meta_file"]) as f:
        meta = yaml.safe_load(f)
    assert (meta["cluster"], meta["release"], meta["revision"], meta["chart"], meta["run_id"], meta["time"]) == \
        ("w1", "skoala-init", 2, "skoala-init-0.19.2", RUN_ID, TIME)
    assert (meta["chart_version"], meta["target_version"]) == ("0.19.2", "0.28.1")
    for p in (entry["values_file"], entry["meta_file"]):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(backup_dir, "w1")).st_mode) == 0o700
    assert sorted(res["changed_paths"]) == sorted([entry["values_file"], entry["meta_file"]])
    assert DSN in res["secrets"] or "Pa55-w0rd" in res["secrets"]
    assert res["values"] == {}  # only check mode hands the values back
    # the reader rollback and backup_info use finds this backup
    directory = os.path.join(backup_dir, "w1")
    exists, names, metas = backup.read_directory(directory)
    found = backup.newest_backup("w1", "skoala-init", directory, metas, names, exists)
    assert found["problems"] == [] and found["backup"]["revision"] == 2, found
    assert found["backup"]["values_file"] == entry["values_file"]


def test_check_mode_writes_nothing_and_returns_the_values(kubeconfigs, tmp_path):
    path = kubeconfigs("w1")
    backup_dir = str(tmp_path / "backups")
    res = release_backups.back_up_fleet([cluster(path)], fake(path), backup_dir, RUN_ID, TIME, check_mode=True)["w1"]
    assert res["problem"] is None and not os.path.exists(backup_dir)
    assert res["values"] == {"skoala-init": {"skoala-agent": {"replicas": 2}, "db": {"dsn": DSN}}}
    assert len(res["changed_paths"]) == 2


def test_the_same_backup_again_changes_nothing(kubeconfigs, tmp_path):
    path = kubeconfigs("w1")
    backup_dir = str(tmp_path / "backups")
    kube = fake(path)
    release_backups.back_up_fleet([cluster(path)], kube, backup_dir, RUN_ID, TIME)
    again = release_backups.back_up_fleet([cluster(path)], kube, backup_dir, RUN_ID, TIME)["w1"]
    assert again["problem"] is None and again["changed_paths"] == []


def test_problems_name_the_cluster_and_hold_no_value(kubeconfigs, tmp_path):
    up, down, gone = kubeconfigs("w1"), kubeconfigs("w2"), kubeconfigs("w3")
    kube = fake(up)
    kube.clusters[down] = {"down": True}
    kube.clusters[gone] = {"namespaces": ["skoala-system"], "secrets": []}
    missing = str(tmp_path / "nope.yaml")
    backup_dir = str(tmp_path / "backups")
    out = release_backups.back_up_fleet(
        [cluster(up), cluster(down, "w2"), cluster(gone, "w3"), cluster(missing, "w4")], kube, backup_dir, RUN_ID, TIME)
    assert out["w1"]["problem"] is None
    assert out["w2"]["problem"].startswith("w2: ") and "connection refused" in out["w2"]["problem"]
    assert out["w3"]["problem"] == ("w3: release skoala-init not found in skoala-system; it changed after preflight. "
                                    "Run again.")
    assert out["w4"]["problem"].startswith("w4: ") and missing in out["w4"]["problem"]
    problems = release_backups.run_problems([{"clusters": out}])
    assert [p.split(":")[0] for p in problems] == ["w2", "w3", "w4"]
    assert not any(DSN in p or "Pa55" in p for p in problems)


def test_a_directory_that_cannot_be_written_is_the_clusters_problem(kubeconfigs, tmp_path):
    path = kubeconfigs("w1")
    blocker = tmp_path / "backups"
    blocker.write_text("not a directory")
    res = release_backups.back_up_fleet([cluster(path)], fake(path), str(blocker), RUN_ID, TIME)["w1"]
    assert res["problem"].startswith("w1: writing the backup into %s failed: " % os.path.join(str(blocker), "w1"))
    assert "skoala_backup_dir" in res["problem"] and DSN not in res["problem"]


def test_nothing_to_back_up(kubeconfigs, tmp_path):
    path = kubeconfigs("w1")
    res = release_backups.back_up_cluster(cluster(path, plans=[]), fake(path), str(tmp_path), RUN_ID, TIME)
    assert res == {"problem": None, "backups": {}, "changed_paths": [], "secrets": [], "values": {}}
    assert release_backups.back_up_fleet([], fake(path), str(tmp_path), RUN_ID, TIME) == {}


def test_clusters_are_backed_up_at_the_same_time_up_to_the_bound(kubeconfigs, tmp_path):
    paths = {"w%d" % i: kubeconfigs("w%d" % i) for i in range(6)}
    kube = fake(paths["w0"])
    for p in paths.values():
        kube.clusters[p] = kube.clusters[paths["w0"]]
    core = kube.client.CoreV1Api
    listing = core.list_namespaced_secret

    def counted(self, *args, **kwargs):
        with kube.lock:
            kube.active += 1
            kube.most_active = max(kube.most_active, kube.active)
        time.sleep(0.05)
        with kube.lock:
            kube.active -= 1
        return listing(self, *args, **kwargs)

    core.list_namespaced_secret = counted
    out = release_backups.back_up_fleet([cluster(p, n) for n, p in paths.items()], kube, str(tmp_path), RUN_ID, TIME,
                                        max_workers=3)
    assert sorted(out) == sorted(paths) and all(r["problem"] is None for r in out.values())
    assert kube.most_active == 3


def test_run_of_and_run_problems_read_a_loop_over_machines():
    results = [{"clusters": {"a": {"problem": None, "backups": {"skoala": {"revision": 1}}, "secrets": ["s"],
                                   "values": {}}}},
               {"skipped": True},
               {"clusters": {"b": {"problem": "b: broken", "backups": {}, "secrets": [], "values": {}}}}]
    assert release_backups.run_of(results, "a") == {"backups": {"skoala": {"revision": 1}}, "secrets": ["s"],
                                                    "values": {}}
    assert release_backups.run_of(results, "zzz") == {"backups": {}, "secrets": [], "values": {}}
    assert release_backups.run_problems(results) == ["b: broken"]
    assert release_backups.run_problems(None) == []


def test_requests_of_reads_preflights_plans_and_connection():
    def plan(component, action):
        return {"component": component, "action": action, "release": component, "namespace": "skoala-system"}

    def host(plans, read=None, backups=None):
        host_vars = {"skoala_plans": plans, "skoala_preflight_request": {"read": read or {}}}
        if backups is not None:
            host_vars["skoala_backups"] = backups
        return host_vars

    all_host_vars = {
        "cp": host([plan("skoala", "upgrade"), plan("skoala-init", "upgrade")],
                   {"kubeconfig": "/k/cp", "context": "ctx-cp"}),
        # installs and plans with nothing to do have no values to keep
        "w1": host([plan("skoala-init", "install")], {"kubeconfig": "/k/w1"}),
        "w2": host([plan("skoala-init", "none")], {"kubeconfig": "/k/w2"}),
        # backed up earlier in the play (upgrade_skoala used alone): not again
        "w3": host([plan("skoala-init", "upgrade")], {"kubeconfig": "/k/w3", "context": ""},
                   backups={"skoala-init": {"values_file": "/b/w3"}}),
        "w4": host([plan("skoala-init", "upgrade")], {"kubeconfig": "/k/w4", "context": ""}),
    }
    assert release_backups.requests_of(["cp", "w1", "w2", "w3", "w4"], all_host_vars) == [
        {"cluster": "cp", "kubeconfig": "/k/cp", "context": "ctx-cp",
         "plans": [plan("skoala", "upgrade"), plan("skoala-init", "upgrade")]},
        {"cluster": "w4", "kubeconfig": "/k/w4", "context": None, "plans": [plan("skoala-init", "upgrade")]},
    ]
    assert release_backups.requests_of(["w1", "w4"], {"w1": {}, "w4": all_host_vars["w4"]})[0]["cluster"] == "w4"
    assert release_backups.requests_of([], all_host_vars) == []
