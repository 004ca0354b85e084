"""status.yml on the real sandbox: a converged fleet, an unreachable cluster,
values changed since the newest backup, a worker left behind, and a release
stuck in pending-upgrade while its upgrade still runs.

Each case checks the exit code, the JSON written to skoala_report_dir, that
nothing changed on any cluster, and that no secret (the DSN's password, the
repository's password, a kubeconfig token) is on screen or in a file. The
cases run in file order on one reset to the baseline: each leaves the fleet
where the next one starts (as an operator's day would).
"""
import glob
import json
import os
import re
import secrets
import signal
import stat
import subprocess
import time

import pytest
import yaml

pytestmark = pytest.mark.usefixtures("baseline_fleet")

NAMESPACE = "skoala-system"
TARGET = "0.28.1"
NO_TARGET = {"skoala_target_version": ""}


def secrets_of(fleet, *extra):
    state = fleet.box.state
    return [s for s in (state["db_password"], state["repo_password"], fleet.box.dsn()) + extra if s]


def report_dir(fleet):
    return os.path.join(fleet.dir, "reports")


def latest(fleet):
    with open(os.path.join(report_dir(fleet), "status-latest.json"), encoding="utf-8") as f:
        return json.load(f)


def run_status(fleet, extra_vars=None, inventory=None, args=(), secret_values=()):
    """status.yml, then the checks every case shares: nothing changed, no
    secret on screen or in the files, files 0600 in a 0700 directory."""
    before = fleet.histories()
    leases = fleet.kubectl(fleet.control_plane, "get", "lease", "-n", NAMESPACE, "-o", "json").stdout
    shutil_rm(report_dir(fleet))
    t0 = time.time()
    run = fleet.playbook("status.yml", inventory=inventory, extra_vars=extra_vars, args=args)
    run.seconds = time.time() - t0
    assert all(c == 0 for c in run.changed().values()), run
    assert fleet.histories() == before, "status.yml changed a release"
    texts = [run.out]
    for path in glob.glob(os.path.join(report_dir(fleet), "*")):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        with open(path, encoding="utf-8") as f:
            texts.append(f.read())
    if texts[1:]:
        assert stat.S_IMODE(os.stat(report_dir(fleet)).st_mode) == 0o700
    for secret in secrets_of(fleet, *secret_values):
        for text in texts:
            assert secret not in text, "a secret was printed or written"
    # No fleet lock is taken (a lease another run left stays as it was).
    assert fleet.kubectl(fleet.control_plane, "get", "lease", "-n", NAMESPACE, "-o", "json").stdout == leases
    return run


def shutil_rm(path):
    for p in glob.glob(os.path.join(path, "*")):
        os.remove(p)


def delete_admission_jobs(fleet, cluster):
    """What the vendor's page does before every skoala-init upgrade (the
    fixture chart's old Jobs block it otherwise, as the real ones do)."""
    fleet.kubectl(cluster, "delete", "job", "gateway-api-admission", "gateway-api-admission-patch", "-n", NAMESPACE,
                  "--ignore-not-found")


def release_row(doc, cluster):
    return [r for r in doc["releases"] if r["cluster"] == cluster][0]


def test_converged_fleet_exits_zero(sandbox):
    run = run_status(sandbox, NO_TARGET)
    assert run.rc == 0, run
    assert "fleet converged: %d clusters, version 0.19.2; 0 errors, 0 warnings" % len(sandbox.clusters) in run.out
    assert "FINDINGS: none" in run.out
    doc = latest(sandbox)
    assert doc["schema_version"] == 1 and doc["kind"] == "status" and doc["converged"] is True
    assert doc["findings"] == [] and doc["plan"] is None and doc["target_version"] is None
    assert sorted(r["cluster"] for r in doc["releases"]) == sorted(sandbox.clusters)
    for row in doc["releases"]:
        assert row["version"] == "0.19.2" and row["status"] == "deployed" and row["revision"] == 1
        assert row["kubernetes_version"].startswith("v1.") and re.match(r"^\d{4}-\d\d-\d\dT", row["last_deployed"])
        assert row["image_tags_match"] is True and row["backup"] is None
    assert sorted(os.listdir(report_dir(sandbox))) == sorted(
        ["skoala-status-%s.json" % doc["run_id"], "skoala-status-%s.md" % doc["run_id"],
         "status-latest.json", "status-latest.md"])
    print("status.yml on a converged fleet of %d clusters: %.1f s" % (len(sandbox.clusters), run.seconds))


def test_converged_fleet_with_a_target_shows_the_plan_and_check_mode_writes_nothing(sandbox):
    run = run_status(sandbox, {"skoala_target_version": TARGET})
    assert run.rc == 0, run
    assert "PLAN to %s (what upgrade.yml would do)" % TARGET in run.out
    doc = latest(sandbox)
    assert doc["target_version"] == TARGET
    plan = {(p["cluster"], p["component"]): p for p in doc["plan"]}
    worker = plan[(sandbox.workers[0], "skoala-init")]
    assert worker["action"] == "upgrade" and worker["step_list"][0]["name"] == "delete_jobs"
    checked = run_status(sandbox, NO_TARGET, args=["--check"])
    assert checked.rc == 0, checked
    assert os.listdir(report_dir(sandbox)) == []


def test_unreachable_cluster_exits_two(sandbox, tmp_path):
    worker = sandbox.workers[-1]
    token = "tok-" + secrets.token_hex(16)
    kubeconfig = os.path.join(str(tmp_path), "down.yaml")
    with open(kubeconfig, "w", encoding="utf-8") as f:
        yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "down",
                        "clusters": [{"name": "down",
                                      "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}}],
                        "users": [{"name": "down", "user": {"token": token}}],
                        "contexts": [{"name": "down", "context": {"cluster": "down", "user": "down"}}]}, f)
    os.chmod(kubeconfig, 0o600)
    inv = sandbox.inventory_copy()
    inv["all"]["children"]["skoala_workers"]["hosts"][worker]["skoala_kubeconfig"] = kubeconfig
    run = run_status(sandbox, NO_TARGET, inventory=sandbox.write_inventory(tmp_path, inv), secret_values=(token,))
    assert run.rc == 2, run
    doc = latest(sandbox)
    assert doc["converged"] is False and [f["kind"] for f in doc["findings"]] == ["unreachable"]
    assert doc["findings"][0]["cluster"] == worker and "127.0.0.1:1" in doc["findings"][0]["message"]
    assert release_row(doc, worker)["reachable"] is False
    assert [c["reachable"] for c in doc["clusters"] if c["cluster"] != worker] == [True] * (len(sandbox.clusters) - 1)
    assert "fleet NOT converged" in run.out and "unreachable" in run.out


def test_values_changed_since_the_backup_are_named_by_key(sandbox):
    # The backups the upgrade takes, taken by backup.yml (all releases change on the way to the target).
    backup = sandbox.playbook("backup.yml")
    assert backup.rc == 0, backup
    worker = sandbox.workers[0]
    new_password = "n3w-" + secrets.token_hex(6)
    new_dsn = sandbox.box.dsn().replace(sandbox.box.state["db_password"], new_password)
    # An operator changes values by hand after the backup: a key on a worker, the DSN on the control plane.
    sandbox.helm(worker, "upgrade", "skoala-init", "sandbox/skoala-init", "--version", "0.19.2", "-n", NAMESPACE,
                 "--reuse-values", "--set", "sandboxCustomKey=changed-by-hand", "--wait", "--timeout", "180s")
    sandbox.helm(sandbox.control_plane, "upgrade", "skoala", "sandbox/skoala", "--version", "0.19.2", "-n", NAMESPACE,
                 "--reuse-values", "--set-string", "hive.configMap.database[0].dsn=" + new_dsn,
                 "--wait", "--timeout", "180s")
    run = run_status(sandbox, NO_TARGET, secret_values=(new_password, new_dsn))
    assert run.rc == 0, run  # a warning: the fleet is still converged
    doc = latest(sandbox)
    changed = {f["cluster"]: f for f in doc["findings"] if f["kind"] == "values_changed"}
    assert sorted(changed) == sorted([sandbox.control_plane, worker])
    assert release_row(doc, worker)["values_changed"] == {"added": [], "removed": [],
                                                          "changed": ["sandboxCustomKey"]}
    assert release_row(doc, sandbox.control_plane)["values_changed"]["changed"] == ["hive.configMap.database[0].dsn"]
    assert "changed-by-hand" not in json.dumps(doc)
    other = release_row(doc, sandbox.workers[-1])
    assert other["values_changed"] == {"added": [], "removed": [], "changed": []}
    for row in doc["releases"]:
        assert row["backup"]["meta_file"].startswith(os.path.join(sandbox.dir, "backups", row["cluster"]))
        assert 0 <= row["backup"]["age_seconds"] < 3600
    assert "1 key changed" in run.out
    assert all(f["severity"] == "warning" for f in doc["findings"])


def test_worker_left_behind_is_skew_and_exits_two(sandbox):
    left = sandbox.workers[-1]
    for cluster in [sandbox.control_plane] + sandbox.workers[:-1]:
        chart = sandbox.component(cluster)
        if chart == "skoala-init":
            delete_admission_jobs(sandbox, cluster)
        # --reset-then-reuse-values: the new chart's image tags (--reuse-values would keep the old
        # chart's defaults, v0.19.2, and the status would rightly report the tags).
        sandbox.helm(cluster, "upgrade", chart, "sandbox/" + chart, "--version", TARGET, "-n", NAMESPACE,
                     "--reset-then-reuse-values", "--wait", "--timeout", "180s")
    run = run_status(sandbox, {"skoala_target_version": TARGET})
    assert run.rc == 2, run
    doc = latest(sandbox)
    skew = [f for f in doc["findings"] if f["kind"] == "skew"]
    assert len(skew) == 1 and [f for f in doc["findings"] if f["severity"] == "error"] == skew
    assert "0.19.2 on %s/skoala-init" % left in skew[0]["message"]
    assert "skoala_target_version=%s" % TARGET in skew[0]["message"]
    assert doc["versions"] == ["0.19.2", TARGET]
    for cluster in [sandbox.control_plane] + sandbox.workers:
        assert release_row(doc, cluster)["image_tags_match"] is True, release_row(doc, cluster)
    plan = {p["cluster"]: p for p in doc["plan"]}
    assert plan[left]["action"] == "upgrade" and plan[sandbox.control_plane]["action"] == "none"
    assert re.search(r"%s\s+skoala-init\s+0\.19\.2\s+0\.19\.2\s+deployed" % re.escape(left), run.out)
    # what the operator sees, for the record of the run
    print("\n".join(line for line in run.out.splitlines() if "fleet NOT converged" in line or "skew" in line
                    or re.search(r"- (dce-|CLUSTER)", line)))


def test_pending_release_mid_upgrade_exits_two_and_is_left_alone(sandbox):
    worker = sandbox.workers[-1]
    delete_admission_jobs(sandbox, worker)
    cmd = [os.path.join(sandbox.box.bin, "helm"), "--kubeconfig", sandbox.box.kubeconfig(worker), "upgrade",
           "skoala-init", "sandbox/skoala-init", "--version", TARGET, "-n", NAMESPACE, "--reset-then-reuse-values",
           "--set", "global.sandboxFault=never-ready", "--wait", "--timeout", "600s"]
    proc = subprocess.Popen(cmd, env=sandbox.box.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            history = sandbox.history(worker)
            if history and history[-1][1] == "pending-upgrade":
                break
            time.sleep(1)
        else:
            raise AssertionError("the upgrade never reached pending-upgrade")
        run = run_status(sandbox, NO_TARGET)
        assert proc.poll() is None, "the upgrade ended while status ran"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert run.rc == 2, run
    doc = latest(sandbox)
    stuck = [f for f in doc["findings"] if f["kind"] == "stuck"]
    assert len(stuck) == 1 and stuck[0]["cluster"] == worker and "pending-upgrade" in stuck[0]["message"]
    row = release_row(doc, worker)
    assert row["status"] == "pending-upgrade" and row["version"] == TARGET
    assert sandbox.release(worker)["status"] == "pending-upgrade"
