"""The upgrade playbook end to end on the sandbox fleet: real clusters, real
Helm, the authenticated chart repository."""
import glob
import json
import os
import signal
import stat
import subprocess
import sys
import time

import yaml

from conftest import ROOT

TARGET = "0.28.1"
UI = "0.19.0"


def images(fleet, cluster):
    out = {}
    for dep in fleet.objects(cluster, "deployments"):
        out[dep["metadata"]["name"]] = [c["image"] for c in dep["spec"]["template"]["spec"]["containers"]]
    return out


def tag_of(image):
    return image.rsplit(":", 1)[1]


def backups(fleet, cluster, kind):
    return sorted(glob.glob(os.path.join(fleet.dir, "backups", cluster, "*.%s.yaml" % kind)))


def test_upgrade_rerun_and_rollback(fleet):
    before = fleet.histories()
    db_password = fleet.box.state["db_password"]
    run = fleet.playbook("upgrade.yml", extra_vars={"skoala_ui_version": UI}, args=["-v"])
    assert run.rc == 0, run

    # both charts at the target, deployed, with the new image tags
    for cluster in fleet.clusters:
        release = fleet.release(cluster)
        assert release["status"] == "deployed" and release["chart"] == "%s-%s" % (fleet.component(cluster), TARGET)
    cp = images(fleet, fleet.control_plane)
    assert tag_of(cp["hive"][0]) == tag_of(cp["sesame"][0]) == "v" + TARGET
    assert tag_of(cp["skoala-ui"][0]) == "v" + UI
    for worker in fleet.workers:
        imgs = images(fleet, worker)
        for name in ("skoala-agent", "nacos-operator", "sentinel-operator", "seata-operator"):
            assert tag_of(imgs[name][0]) == "v" + TARGET, (worker, name, imgs)

    # values set at install time survive
    values = fleet.values(fleet.control_plane)
    assert db_password in values["hive"]["configMap"]["database"][0]["dsn"]
    assert values["hive"]["replicas"] == 2 and values["sandboxCustomKey"] == "kept-across-upgrades"
    hive = [d for d in fleet.objects(fleet.control_plane, "deployments") if d["metadata"]["name"] == "hive"][0]
    assert hive["spec"]["replicas"] == 2
    assert fleet.values(fleet.workers[0])["skoala-agent"]["replicas"] == 2

    # no DB upgrade Job from 0.19.2
    assert fleet.kubectl(fleet.control_plane, "get", "configmap", "skoala-db-upgrade-result", "-n",
                         "skoala-system", check=False).returncode != 0

    # backups: 0600 files in a 0700 directory, holding the old values
    for cluster in fleet.clusters:
        directory = os.path.join(fleet.dir, "backups", cluster)
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
        vals, metas = backups(fleet, cluster, "values"), backups(fleet, cluster, "meta")
        assert len(vals) == 1 and len(metas) == 1
        for path in vals + metas:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with open(metas[0]) as f:
            meta = yaml.safe_load(f)
        assert meta["chart_version"] == "0.19.2" and meta["revision"] == 1 and meta["cluster"] == cluster
        assert meta["chart"] == "%s-0.19.2" % fleet.component(cluster)
    with open(backups(fleet, fleet.control_plane, "values")[0]) as f:
        old = yaml.safe_load(f)
    assert db_password in old["hive"]["configMap"]["database"][0]["dsn"]

    # report files agree with the clusters
    with open(os.path.join(fleet.dir, "reports", "latest.json")) as f:
        report = json.load(f)
    assert report["result"] == "success" and report["schema_version"] == 1
    # one run id: the report's is the one every backup of the run carries
    for cluster in fleet.clusters:
        with open(backups(fleet, cluster, "meta")[0]) as f:
            assert yaml.safe_load(f)["run_id"] == report["run_id"]
    assert {(r["cluster"], r["from"], r["to"], r["result"]) for r in report["releases"]} == \
        {(c, "0.19.2", TARGET, "upgraded") for c in fleet.clusters}
    assert all(r["backup"] and os.path.isfile(r["backup"]) for r in report["releases"])
    assert os.path.exists(os.path.join(fleet.dir, "reports", "latest.md"))

    # no secret anywhere in what the operator sees
    assert db_password not in run.out
    assert fleet.box.state["repo_password"] not in run.out
    for path in glob.glob(os.path.join(fleet.dir, "reports", "*")):
        with open(path) as f:
            assert db_password not in f.read()

    # second run: nothing changes
    upgraded = fleet.histories()
    again = fleet.playbook("upgrade.yml", extra_vars={"skoala_ui_version": UI})
    assert again.rc == 0, again
    assert all(c == 0 for c in again.changed().values()), again.recap
    assert fleet.histories() == upgraded

    # rollback: back to the revisions of the backup, values as before
    back = fleet.playbook("rollback.yml")
    assert back.rc == 0, back
    for cluster in fleet.clusters:
        release = fleet.release(cluster)
        assert release["chart"] == "%s-0.19.2" % fleet.component(cluster)
        assert release["status"] == "deployed"
        assert len(fleet.history(cluster)) == len(before[cluster]) + 2
    assert fleet.values(fleet.control_plane) == old
    assert tag_of(images(fleet, fleet.control_plane)["hive"][0]) == "v0.19.2"

    # rollback again: already there, nothing changes
    back_again = fleet.playbook("rollback.yml")
    assert back_again.rc == 0 and all(c == 0 for c in back_again.changed().values()), back_again


def test_check_mode_changes_nothing_and_shows_diff(fleet, tmp_path):
    before = fleet.histories()
    hooks = {}
    for when in ("pre", "post"):
        path = tmp_path / ("%s.yml" % when)
        path.write_text("- name: user hook\n  ansible.builtin.debug:\n"
                        "    msg: \"user %s hook for {{ skoala_component }} on {{ inventory_hostname }}\"\n" % when)
        hooks["skoala_%s_upgrade_tasks" % when] = [str(path)]
    run = fleet.playbook("upgrade.yml", args=["--check", "--diff"], extra_vars=hooks)
    assert run.rc == 0, run
    # the user's task files run around each release's chart upgrade
    for cluster in fleet.clusters:
        for when in ("pre", "post"):
            assert "user %s hook for %s on %s" % (when, fleet.component(cluster), cluster) in run.out
    assert "ACTION" in run.out and "upgrade" in run.out
    assert "v0.28.1" in run.out  # the Helm diff shows the new tags
    assert fleet.box.state["db_password"] not in run.out
    assert fleet.histories() == before
    assert not os.path.exists(os.path.join(fleet.dir, "backups"))
    # check mode never takes the fleet lock
    assert fleet.kubectl(fleet.control_plane, "get", "lease", "skoala-upgrade-lock", "-n", "skoala-system",
                         check=False).returncode != 0


def worker_fault_inventory(fleet, tmp_path, worker):
    inv = fleet.inventory_copy()
    host = inv["all"]["children"]["skoala_workers"]["hosts"][worker]
    host["skoala_extra_values"] = {"global": {"sandboxFault": "never-ready"}}
    host["skoala_helm_timeout"] = 20
    return fleet.write_inventory(tmp_path, inv)


def test_worker_that_never_becomes_ready_is_rolled_back(fleet, tmp_path):
    first, bad = fleet.workers[0], fleet.workers[-1]
    inventory = worker_fault_inventory(fleet, tmp_path, bad)
    # one worker per batch: the first batch is done before the bad worker starts
    run = fleet.playbook("upgrade.yml", inventory=inventory, extra_vars={"skoala_workers_serial": 1})
    assert run.rc != 0, run
    text = " ".join(run.out.split())
    assert "%s: helm upgrade of skoala-init 0.19.2 -> %s failed" % (bad, TARGET) in text
    assert "Rolled back to revision 1: the release is now skoala-init-0.19.2 revision 3 (deployed)" in text
    assert "rollback.yml" in text
    # one batch per worker, so each batch ran the workers' tasks once
    workers_play = text[text.index("PLAY [Upgrade skoala-init on the workers"):]
    assert workers_play.count("TASK [dce5.skoala.upgrade_release : Helm upgrade the batch's clusters") == len(
        fleet.workers), run
    # the control plane and the first batch are upgraded, the bad worker is back on its old chart
    assert fleet.release(fleet.control_plane)["chart"] == "skoala-" + TARGET
    assert fleet.release(first)["chart"] == "skoala-init-" + TARGET
    bad_release = fleet.release(bad)
    assert bad_release["chart"] == "skoala-init-0.19.2" and bad_release["status"] == "deployed"
    assert [h[1] for h in fleet.history(bad)][-1] == "deployed"
    assert len(backups(fleet, bad, "values")) == 1


def test_interrupted_worker_upgrade_is_recovered(fleet, tmp_path):
    worker = fleet.workers[-1]
    inv = fleet.inventory_copy()
    inv["all"]["children"]["skoala_workers"]["hosts"][worker]["skoala_extra_values"] = {
        "global": {"sandboxFault": "never-ready"}}
    inventory = fleet.write_inventory(tmp_path, inv, "slow.yml")
    env = fleet.env()
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
           os.path.join(ROOT, "playbooks", "upgrade.yml")]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            history = fleet.history(worker)
            if history and history[-1][1] == "pending-upgrade":
                break
            time.sleep(1)
        else:
            raise AssertionError("the worker's upgrade never started")
        time.sleep(2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert fleet.release(worker)["status"] == "pending-upgrade"

    refused = fleet.playbook("upgrade.yml")
    assert refused.rc != 0
    text = " ".join(refused.out.split())
    assert "stuck in pending-upgrade" in text
    assert "helm rollback skoala-init -n skoala-system --kubeconfig %s" % fleet.box.kubeconfig(worker) in text

    recovered = fleet.playbook("upgrade.yml", extra_vars={"skoala_recover_pending": True})
    assert recovered.rc == 0, recovered
    for cluster in fleet.clusters:
        release = fleet.release(cluster)
        assert release["status"] == "deployed" and release["chart"].endswith(TARGET)


HELM_UPGRADE_PLAY = """
- name: helm_upgrade against kubernetes.core.helm_info
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/dce5.skoala.cluster:
      kubeconfig: "{{ kubeconfig }}"
  tasks:
    - name: Delete the admission Jobs, as the plan's step does
      kubernetes.core.k8s:
        definition: "{{ ['gateway-api-admission', 'gateway-api-admission-patch'] | dce5.skoala.job_references('skoala-system') }}"
        state: absent
        wait: true
    - name: Upgrade
      dce5.skoala.helm_upgrade:
        binary_path: "{{ helm }}"
        release_name: skoala-init
        release_namespace: skoala-system
        chart_ref: "{{ chart_ref }}"
        chart_version: "{{ version }}"
        reset_values: true
        values_files: ["{{ values_file }}"]
        release_values: {sandboxExtra: {fromModule: "yes"}, skoala-agent: {replicas: 3}}
        set_values:
          - {value: "skoala-agent.image.tag=v{{ version }}", value_type: string}
        wait: true
        wait_timeout: 120s
      register: upgraded
    - name: Read the release the way helm_info does
      kubernetes.core.helm_info:
        binary_path: "{{ helm }}"
        release_name: skoala-init
        release_namespace: skoala-system
      register: read
      no_log: true
    - name: Keep both for the test
      ansible.builtin.copy:
        content: "{{ {'upgraded': upgraded, 'read': read} | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


def test_helm_upgrade_module_returns_the_release_as_helm_info_reads_it(fleet, tmp_path):
    """dce5.skoala.helm_upgrade runs helm once; what it returns is what
    kubernetes.core.helm_info reads afterwards, values files merge before the
    extra values, and a failure leaves the release as it was with helm's words."""
    worker = fleet.workers[-1]
    values_file = tmp_path / "before.values.yaml"
    values_file.write_text(yaml.safe_dump(fleet.values(worker)))
    values_file.chmod(0o600)
    play = tmp_path / "play.yml"
    play.write_text(HELM_UPGRADE_PLAY)
    out = tmp_path / "out.json"
    # The sandbox's own entry for its chart repository ("sandbox"), in its helm config.
    common = {"kubeconfig": fleet.box.kubeconfig(worker), "helm": os.path.join(fleet.box.bin, "helm"),
              "chart_ref": "sandbox/skoala-init", "values_file": str(values_file), "out": str(out)}

    before = fleet.history(worker)
    run = fleet.playbook(str(play), extra_vars=dict(common, version=TARGET))
    assert run.rc == 0, run
    result = json.loads(out.read_text())
    upgraded, read = result["upgraded"], result["read"]
    assert upgraded["changed"] is True
    assert upgraded["command"].count("--values") == 2 and "--version" in upgraded["command"]
    for key in ("name", "namespace", "revision", "status", "chart", "app_version", "values"):
        assert upgraded["status"][key] == read["status"][key], key
    assert upgraded["status"]["chart"] == "skoala-init-" + TARGET and upgraded["status"]["status"] == "deployed"
    values = fleet.values(worker)
    assert values["sandboxExtra"] == {"fromModule": "yes"}
    assert values["skoala-agent"]["replicas"] == 3 and values["skoala-agent"]["image"]["tag"] == "v" + TARGET
    assert len(fleet.history(worker)) == len(before) + 1

    after = fleet.history(worker)
    failed = fleet.playbook(str(play), extra_vars=dict(common, version="9.9.9"))
    assert failed.rc != 0
    assert "Failure when executing Helm command. Exited 1." in failed.out
    assert fleet.history(worker) == after


FLEET_WAIT_PLAY = """
- name: fleet_wait_ready against real clusters
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Wait for the workloads of four clusters
      dce5.skoala.fleet_wait_ready:
        clusters: "{{ clusters }}"
        timeout: 6
        interval: 1
      register: waited
    - name: Keep the result for the test
      ansible.builtin.copy:
        content: "{{ waited | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""

NEVER_READY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: never-ready, namespace: verify-test}
spec:
  replicas: 1
  selector: {matchLabels: {app: never-ready}}
  template:
    metadata: {labels: {app: never-ready}}
    spec:
      nodeSelector: {no-such-node: "true"}
      containers: [{name: main, image: "example.invalid/never:1"}]
"""


def test_fleet_wait_ready_fails_each_cluster_alone_with_its_reason(fleet, tmp_path):
    """verify's wait for a batch of workers, on the real clusters: a ready
    cluster passes; one running other images than expected, one whose
    workload is never scheduled and one whose kubeconfig is missing each get
    their own message, and the task itself does not fail."""
    # The sandbox of a test worker has two workers: the control plane is the third cluster.
    fine, wrong_image = fleet.workers[:2]
    never, lost = fleet.control_plane, "lost-cluster"
    manifest = tmp_path / "never.yaml"
    manifest.write_text(NEVER_READY)
    fleet.kubectl(never, "create", "namespace", "verify-test")
    try:
        fleet.kubectl(never, "apply", "-f", str(manifest))
        agent_tag = fleet.values(wrong_image, all_values=True)["skoala-agent"]["image"]["tag"]
        clusters = [
            {"cluster": fine, "kubeconfig": fleet.box.kubeconfig(fine), "namespace": "skoala-system",
             "expected_images": {"skoala-agent": agent_tag}, "label": "skoala-init workloads"},
            {"cluster": wrong_image, "kubeconfig": fleet.box.kubeconfig(wrong_image), "namespace": "skoala-system",
             "expected_images": {"skoala-agent": "v9.9.9"}},
            {"cluster": never, "kubeconfig": fleet.box.kubeconfig(never), "namespace": "verify-test"},
            {"cluster": lost, "kubeconfig": str(tmp_path / "missing.kubeconfig"), "namespace": "skoala-system"},
        ]
        play = tmp_path / "play.yml"
        play.write_text(FLEET_WAIT_PLAY)
        out = tmp_path / "out.json"
        run = fleet.playbook(str(play), extra_vars={"clusters": clusters, "out": str(out)})
        assert run.rc == 0, run
        result = json.loads(out.read_text())["clusters"]
    finally:
        fleet.kubectl(never, "delete", "namespace", "verify-test", "--wait=false", check=False)

    assert result[fine]["failed"] is False and result[fine]["ready"] == result[fine]["total"] > 0
    assert result[fine]["msg"] == ""
    assert result[wrong_image]["failed"] is True
    assert result[wrong_image]["msg"].startswith(
        "%s: workloads in skoala-system ready but running unexpected images: skoala-agent: runs " % wrong_image)
    assert result[wrong_image]["msg"].endswith(", expected v9.9.9")
    assert result[never]["failed"] is True
    assert result[never]["msg"] == ("%s: workloads in verify-test not ready after 6s: "
                                    "Deployment/never-ready (0/1 available)" % never)
    assert result[never]["elapsed"] >= 5
    assert result[lost]["failed"] is True and result[lost]["msg"].startswith(lost + ": ")
    assert "missing.kubeconfig" in result[lost]["msg"]
    # Progress, as wait_ready prints it, and how many clusters are done between polls.
    text = " ".join(run.out.split())
    assert "[%s] skoala-init workloads: " % fine in text
    assert "[%s] workloads in verify-test: 0/1 ready, waiting for Deployment/never-ready (0/1 available)" % never \
        in text
    assert "3/4 clusters done; waiting for %s" % never in text
