"""The DB upgrade Job on the sandbox control plane: the module on its own,
and its failure inside the upgrade playbook (its success on the way from
0.17.1 and 0.18.0 is in the path matrix, test_paths_a.py)."""
import base64
import json
import os
import subprocess
import sys

import yaml

from conftest import ROOT, Run

NS = "skoala-system"


def play(tmp_path, fleet, args, extra_task_keys=None):
    """A one-task playbook running dce5.skoala.db_upgrade_job on the control plane."""
    task = {"name": "DB upgrade", "dce5.skoala.db_upgrade_job": dict(
        {"kubeconfig": fleet.box.kubeconfig(fleet.control_plane), "namespace": NS,
         "database": {"driver": "mysql", "dsn": fleet.box.dsn()}}, **args)}
    task.update(extra_task_keys or {})
    book = [{"name": "db", "hosts": fleet.control_plane, "gather_facts": False, "tasks": [task]}]
    path = os.path.join(str(tmp_path), "db.yml")
    with open(path, "w") as f:
        yaml.safe_dump(book, f)
    return path


def run_play(fleet, path, *args):
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
           "-i", os.path.join(fleet.dir, "inventory.yml"), path] + list(args)
    proc = subprocess.run(cmd, check=False, env=fleet.env(), cwd=ROOT, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=300)
    return Run(proc)


def cleanup(fleet):
    for kind in ("job", "configmap", "secret"):
        fleet.kubectl(fleet.control_plane, "delete", kind, "-n", NS, "-l", "app.kubernetes.io/managed-by=dce5.skoala",
                      "--ignore-not-found", "--wait=true")


def test_job_completes_then_is_not_run_again(sandbox, tmp_path):
    cleanup(sandbox)
    path = play(tmp_path, sandbox, {"wait_timeout": 120, "sweet": {"tag": "v0.19.0-probe"}})
    first = run_play(sandbox, path, "-v")
    assert first.rc == 0, first
    assert first.changed()[sandbox.control_plane] == 1
    assert "DB upgrade Job skoala-system/skoala-db-upgrade" in first.out
    record = json.loads(sandbox.kubectl(sandbox.control_plane, "get", "configmap", "skoala-db-upgrade-result",
                                        "-n", NS, "-o", "json").stdout)
    assert record["data"]["state"] == "complete"
    # delete_on_success: the Job (and its Secret with it) is gone
    assert sandbox.kubectl(sandbox.control_plane, "get", "job", "skoala-db-upgrade", "-n", NS,
                           check=False).returncode != 0
    second = run_play(sandbox, path)
    assert second.rc == 0, second
    assert second.changed()[sandbox.control_plane] == 0
    # the password appears nowhere in what Ansible printed at -v
    assert sandbox.box.state["db_password"] not in first.out + second.out
    cleanup(sandbox)


def test_job_spec_holds_no_dsn(sandbox, tmp_path):
    cleanup(sandbox)
    path = play(tmp_path, sandbox, {"wait_timeout": 120, "cleanup": "keep", "sweet": {"tag": "v0.19.0-spec"}})
    run = run_play(sandbox, path)
    assert run.rc == 0, run
    job = sandbox.kubectl(sandbox.control_plane, "get", "job", "skoala-db-upgrade", "-n", NS, "-o", "json").stdout
    assert sandbox.box.state["db_password"] not in job
    secret = json.loads(sandbox.kubectl(sandbox.control_plane, "get", "secret", "skoala-db-upgrade-database",
                                        "-n", NS, "-o", "json").stdout)
    assert secret["metadata"]["ownerReferences"][0]["name"] == "skoala-db-upgrade"
    assert sandbox.box.state["db_password"] in base64.b64decode(secret["data"]["database.yaml"]).decode()
    cleanup(sandbox)


def test_failing_job_fails_with_its_status(sandbox, tmp_path):
    cleanup(sandbox)
    path = play(tmp_path, sandbox, {"wait_timeout": 120, "pod_labels": {"dce5-sandbox-fault": "job-fail"},
                                    "sweet": {"tag": "v0.19.0-fail"}})
    run = run_play(sandbox, path, "-v")
    assert run.rc != 0
    assert "DB upgrade Job skoala-system/skoala-db-upgrade failed" in run.out
    assert "BackoffLimitExceeded" in run.out or "Failed=True" in run.out
    assert "pod skoala-db-upgrade-" in run.out
    assert sandbox.box.state["db_password"] not in run.out
    # the failed Job is kept for inspection, and replaced by the next run
    assert sandbox.kubectl(sandbox.control_plane, "get", "job", "skoala-db-upgrade", "-n", NS).returncode == 0
    ok = play(tmp_path, sandbox, {"wait_timeout": 120, "sweet": {"tag": "v0.19.0-fail"}})
    rerun = run_play(sandbox, ok)
    assert rerun.rc == 0, rerun
    assert rerun.changed()[sandbox.control_plane] == 1
    cleanup(sandbox)


def test_timeout_is_a_clear_failure(sandbox, tmp_path):
    cleanup(sandbox)
    path = play(tmp_path, sandbox, {"wait_timeout": 5, "pod_labels": {"dce5-sandbox-fault": "never-ready"},
                                    "sweet": {"tag": "v0.19.0-slow"}})
    run = run_play(sandbox, path)
    assert run.rc != 0
    assert "did not finish within 5s" in run.out
    cleanup(sandbox)


def test_check_mode_creates_nothing(sandbox, tmp_path):
    cleanup(sandbox)
    path = play(tmp_path, sandbox, {"wait_timeout": 60, "sweet": {"tag": "v0.19.0-check"}})
    run = run_play(sandbox, path, "--check", "--diff")
    assert run.rc == 0, run
    assert "skoala-db-upgrade" in run.out and "********" in run.out
    assert sandbox.box.state["db_password"] not in run.out
    assert sandbox.kubectl(sandbox.control_plane, "get", "job", "skoala-db-upgrade", "-n", NS,
                           check=False).returncode != 0


def test_failed_db_job_stops_before_any_chart(fleet):
    fleet.reset("0.18.0")
    cleanup(fleet)
    before = fleet.histories()
    run = fleet.playbook("upgrade.yml", extra_vars={
        "skoala_db_upgrade_pod_labels": {"dce5-sandbox-fault": "job-fail"}})
    assert run.rc != 0
    text = " ".join(run.out.split())
    assert "dce-global: DB upgrade Job skoala-system/skoala-db-upgrade failed" in text
    assert "No chart was changed" in text
    assert fleet.histories() == before
    assert fleet.box.state["db_password"] not in run.out
    cleanup(fleet)
