"""Reliability on the real sandbox: faults injected for real (a worker's
kube-apiserver killed, a control plane that never becomes ready, one worker
failing in a batch, ansible-playbook killed with SIGKILL and SIGINT at chosen
points, the chart repository stopped after preflight, two runs at once).

After each: the operator is told what happened and what to do, no release is
left half-upgraded without saying so, every backup file is whole, no secret
shows, and a re-run completes the fleet. Kill points are found by reading
ansible-playbook's output or helm's release status as they happen, not by
sleeping. Several assertions share one run to keep the suite short."""
import glob
import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
import yaml

from conftest import ROOT, sandbox_mod

TARGET = "0.28.1"
NS = "skoala-system"
LEASE = "skoala-upgrade-lock"


STARTED = []


@pytest.fixture(autouse=True)
def no_run_left_behind():
    """A failing test kills the runs it started in the background."""
    yield
    while STARTED:
        run = STARTED.pop()
        if run.proc.poll() is None:
            run.kill(signal.SIGKILL)


class Background:
    """ansible-playbook running in its own process group, its output
    followed line by line through a file."""

    def __init__(self, fleet, tmp_path, name, inventory=None, extra_vars=None, args=()):
        self.path = os.path.join(str(tmp_path), name + ".log")
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", inventory or os.path.join(fleet.dir, "inventory.yml"),
               os.path.join(ROOT, "playbooks", "upgrade.yml")]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        cmd += list(args)
        env = fleet.env()
        env["PYTHONUNBUFFERED"] = "1"
        with open(self.path, "wb") as out:
            self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        STARTED.append(self)

    @property
    def out(self):
        with open(self.path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_for(self, predicate, what, timeout=300):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                raise AssertionError("the run ended (rc %s) before %s:\n%s"
                                     % (self.proc.returncode, what, self.out[-4000:]))
            time.sleep(0.2)
        self.kill(signal.SIGKILL)
        raise AssertionError("timed out waiting for %s:\n%s" % (what, self.out[-4000:]))

    def wait_for_line(self, text, timeout=300):
        self.wait_for(lambda: text in self.out, repr(text), timeout)

    def kill(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        return self.finish(timeout=120)

    def interrupt(self, presses=5):
        """Ctrl-C, pressed again if the run goes on. ansible-core can lose a
        SIGINT that lands while it forks a worker: the KeyboardInterrupt its
        handler raises surfaces inside an at-fork hook, where CPython prints
        "Exception ignored in: <function _releaseLock ...>" and carries on.
        The handler has already restored the default action, so the second
        SIGINT ends the run; an operator at a terminal does the same."""
        for _press in range(presses):
            lost_before = self.out.count("Exception ignored in")
            try:
                os.killpg(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                break
            deadline = time.time() + 5
            while self.proc.poll() is None and time.time() < deadline \
                    and self.out.count("Exception ignored in") == lost_before:
                time.sleep(0.1)
            if self.proc.poll() is not None:
                break
        return self.finish(timeout=120)

    def finish(self, timeout=900):
        self.proc.wait(timeout=timeout)
        return self

    @property
    def rc(self):
        return self.proc.returncode

    def __repr__(self):
        return "Background(rc=%s)\n%s" % (self.rc, self.out[-6000:])


def flat(text):
    return " ".join(text.split())


def lease(fleet):
    out = fleet.kubectl(fleet.control_plane, "get", "lease", LEASE, "-n", NS, "-o", "json", check=False)
    return json.loads(out.stdout) if out.returncode == 0 else None


def secrets(fleet):
    state = fleet.box.state
    return {"db": state["db_password"], "repo": state["repo_password"], "registry": state["registry_password"]}


def assert_no_secret(fleet, *texts):
    for name, value in secrets(fleet).items():
        for i, text in enumerate(texts):
            assert value not in text, "the %s password shows in text %d" % (name, i)
    for path in glob.glob(os.path.join(fleet.dir, "reports", "*")):
        with open(path, encoding="utf-8") as f:
            content = f.read()
        for name, value in secrets(fleet).items():
            assert value not in content, "the %s password is in %s" % (name, path)


def assert_backups_whole(fleet):
    """Every backup file present is complete YAML; 0600 in 0700 directories.
    Returns {cluster: number of values files}."""
    counts = {}
    root = os.path.join(fleet.dir, "backups")
    for cluster in fleet.clusters:
        directory = os.path.join(root, cluster)
        if not os.path.isdir(directory):
            continue
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700, directory
        values = sorted(glob.glob(os.path.join(directory, "*.values.yaml")))
        metas = sorted(glob.glob(os.path.join(directory, "*.meta.yaml")))
        for path in values + metas:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
            with open(path, encoding="utf-8") as f:
                doc = yaml.safe_load(f)
            assert isinstance(doc, dict) and doc, "backup %s is empty or not YAML" % path
            if path.endswith(".meta.yaml"):
                assert {"revision", "chart", "chart_version", "cluster", "time"} <= set(doc), path
                assert doc["cluster"] == cluster
            elif cluster == fleet.control_plane:
                # the whole user-supplied values, DSN included
                assert fleet.box.state["db_password"] in doc["hive"]["configMap"]["database"][0]["dsn"], path
                assert doc["sandboxCustomKey"] == "kept-across-upgrades"
            else:
                assert doc["skoala-agent"]["replicas"] == 2 and doc["sandboxCustomKey"] == "kept-across-upgrades"
        # a values file never lacks its metadata (metadata may lag behind a kill between the two)
        assert len(metas) <= len(values), (cluster, values, metas)
        counts[cluster] = len(values)
    return counts


def report(fleet):
    with open(os.path.join(fleet.dir, "reports", "latest.json"), encoding="utf-8") as f:
        doc = json.load(f)
    return doc, {r["cluster"]: r["result"] for r in doc["releases"]}


def chart(fleet, cluster):
    return fleet.release(cluster)["chart"]


def at(fleet, version):
    return {c: "%s-%s" % (fleet.component(c), version) for c in fleet.clusters}


def charts(fleet):
    return {c: chart(fleet, c) for c in fleet.clusters}


def inventory_with(fleet, tmp_path, name, hosts=None, **all_vars):
    """The sandbox inventory with per-host and fleet-wide variables changed."""
    inv = fleet.inventory_copy()
    children = inv["all"]["children"]
    for host, host_vars in (hosts or {}).items():
        group = "skoala_control_plane" if host == fleet.control_plane else "skoala_workers"
        children[group]["hosts"][host].update(host_vars)
    inv["all"]["vars"].update(all_vars)
    return fleet.write_inventory(tmp_path, inv, name + ".yml")


NEVER_READY = {"skoala_extra_values": {"global": {"sandboxFault": "never-ready"}}}


def test_one_failed_worker_concurrent_run_refused_report_and_rerun(fleet, tmp_path):
    """A worker that fails in its batch with skoala_max_fail_percentage set;
    meanwhile a second run is refused by the fleet lock; the full run at -vvv
    shows no secret; the re-run upgrades only the failed worker."""
    first, bad = fleet.workers[0], fleet.workers[-1]
    inventory = inventory_with(fleet, tmp_path, "one-bad-worker", hosts={bad: dict(NEVER_READY, skoala_helm_timeout=25)})
    # a play keyword: Ansible templates it without inventory variables, so -e
    run = Background(fleet, tmp_path, "first", inventory=inventory, args=["-vvv"],
                     extra_vars={"skoala_max_fail_percentage": 50})
    # the lock is visible in the control-plane cluster as soon as preflight passed
    run.wait_for(lambda: lease(fleet) is not None, "the fleet lock")
    held = lease(fleet)
    assert held["spec"]["holderIdentity"].endswith(" pid %d run %s" % (
        run.proc.pid, held["metadata"]["annotations"]["skoala.dce5.io/run-id"]))
    owner = held["metadata"]["annotations"]["skoala.dce5.io/owner"]
    assert "@" in owner and held["spec"]["acquireTime"]

    second = fleet.playbook("upgrade.yml", args=["-v"])
    assert second.rc != 0, second
    text = flat(second.out)
    assert "Another run holds the fleet lock: Lease skoala-system/skoala-upgrade-lock" in text
    assert "held by %s pid %d" % (owner, run.proc.pid) in text
    assert "(started %s)" % held["spec"]["acquireTime"] in text
    assert "-e skoala_lock_takeover=true" in text
    assert all(c == 0 for c in second.changed().values()), second.recap
    assert lease(fleet)["spec"]["holderIdentity"] == held["spec"]["holderIdentity"]

    run.finish()
    assert run.rc == 2, run  # failed hosts, run went on
    assert "%s: helm upgrade of skoala-init 0.19.2 -> %s failed" % (bad, TARGET) in flat(run.out)
    assert charts(fleet) == dict(at(fleet, TARGET), **{bad: "skoala-init-0.19.2"})
    assert fleet.release(bad)["status"] == "deployed"
    doc, results = report(fleet)
    assert doc["result"] == "failed"
    assert results == {fleet.control_plane: "upgraded", first: "upgraded", bad: "failed"}
    assert lease(fleet) is None, "the report play releases the lock"
    assert_no_secret(fleet, run.out, second.out)
    assert assert_backups_whole(fleet) == {c: 1 for c in fleet.clusters}

    upgraded = {c: fleet.history(c) for c in (fleet.control_plane, first)}
    again = fleet.playbook("upgrade.yml", args=["-v"])
    assert again.rc == 0, again
    assert {c: fleet.history(c) for c in (fleet.control_plane, first)} == upgraded
    assert charts(fleet) == at(fleet, TARGET)
    doc, results = report(fleet)
    assert results == {fleet.control_plane: "unchanged", first: "unchanged", bad: "upgraded"}
    assert_no_secret(fleet, again.out)
    assert lease(fleet) is None


def test_control_plane_failure_then_repo_down_then_rerun(fleet, tmp_path):
    """The control plane never becomes ready: it is rolled back, no worker
    is touched, the run says which cluster and what to do. The next run takes
    over the dead run's lock by itself; the chart repository stops right after
    its preflight: a clear failure, nothing applied. With the repository back,
    a re-run completes the fleet."""
    before = fleet.histories()
    inventory = inventory_with(fleet, tmp_path, "bad-control-plane",
                               hosts={fleet.control_plane: dict(NEVER_READY, skoala_helm_timeout=20)})
    failed = fleet.playbook("upgrade.yml", inventory=inventory, args=["-v"])
    assert failed.rc != 0, failed
    text = flat(failed.out)
    assert "dce-global: helm upgrade of skoala 0.19.2 -> %s failed" % TARGET in text
    assert "Rolled back to revision 1: the release is now skoala-0.19.2 revision 3 (deployed)" in text
    assert "Fix the cause and re-run" in text
    cp = fleet.release(fleet.control_plane)
    assert cp["chart"] == "skoala-0.19.2" and cp["status"] == "deployed"
    assert [h[1] for h in fleet.history(fleet.control_plane)][-1] == "deployed"
    assert {w: fleet.history(w) for w in fleet.workers} == {w: before[w] for w in fleet.workers}
    assert_no_secret(fleet, failed.out)
    assert_backups_whole(fleet)
    stale = lease(fleet)
    assert stale is not None, "a run that failed this hard leaves its lock; the next run takes it over"
    # one run id for the run: the lock it took and every backup it wrote carry the same
    run_ids = set()
    for path in glob.glob(os.path.join(fleet.dir, "backups", "*", "*.meta.yaml")):
        with open(path) as f:
            run_ids.add(yaml.safe_load(f)["run_id"])
    assert run_ids == {stale["metadata"]["annotations"]["skoala.dce5.io/run-id"]}, (run_ids, stale["metadata"])
    after_failure = fleet.histories()

    run = Background(fleet, tmp_path, "repo-down", args=["-v"])
    try:
        run.wait_for_line("PLAY [Take the fleet lock")
        fleet.box.stop_repo()
        run.finish()
    finally:
        fleet.box.start_repo()
    assert run.rc != 0, run
    text = flat(run.out)
    assert "taken over from %s" % stale["spec"]["holderIdentity"] in text
    assert "ansible-playbook process %s on this host" % stale["metadata"]["annotations"]["skoala.dce5.io/pid"] in text
    assert "chart repository skoala-sandbox (%s) did not answer" % fleet.box.repo_url in text
    assert "connection refused" in text and "Nothing was changed on dce-global" in text
    assert fleet.histories() == after_failure
    assert_no_secret(fleet, run.out)

    done = fleet.playbook("upgrade.yml")
    assert done.rc == 0, done
    assert charts(fleet) == at(fleet, TARGET)
    assert lease(fleet) is None
    assert_backups_whole(fleet)


def component_commands(base):
    """Each running component of a kwokctl cluster: its command line and
    working directory, read from /proc while it runs."""
    commands = {}
    pid_dir = os.path.join(base, "pids")
    for pid_file in os.listdir(pid_dir):
        with open(os.path.join(pid_dir, pid_file), encoding="utf-8") as f:
            pid = int(f.read().strip())
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv = [a.decode() for a in f.read().split(b"\0") if a]
        commands[pid_file[:-len(".pid")]] = (pid, argv, os.readlink("/proc/%d/cwd" % pid))
    return commands


def start_component(base, name, argv, cwd):
    with open(os.path.join(base, "logs", name + ".log"), "ab") as log:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    with open(os.path.join(base, "pids", name + ".pid"), "w", encoding="utf-8") as f:
        f.write(str(proc.pid))
    return proc.pid


def kill_and_restart_apiserver(fleet, cluster, down=2.0):
    """SIGKILL the cluster's kube-apiserver (kwokctl binary runtime) and start
    it again with the same command line (other sandboxes on this machine may
    grab a port left free for long, so it is down for seconds only).

    kwokctl does not supervise its components: a kube-scheduler or
    kube-controller-manager that loses its leader lease while the API server
    is down exits, as it would under kubelet before being restarted. Those
    are started again here the way the kubelet would."""
    base = os.path.join(fleet.dir, "kwok", "clusters", cluster)
    commands = component_commands(base)
    pid, argv, cwd = commands.pop("kube-apiserver")
    assert argv[0].endswith("kube-apiserver"), argv
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 20
    while os.path.exists("/proc/%d" % pid) and time.time() < deadline:
        time.sleep(0.1)
    assert fleet.kubectl(cluster, "get", "ns", "--request-timeout=2s", check=False).returncode != 0
    time.sleep(down)
    start_component(base, "kube-apiserver", argv, cwd)
    deadline = time.time() + 90
    while not fleet.box.cluster_healthy(cluster):
        assert time.time() < deadline, "kube-apiserver of %s did not come back" % cluster
        for name, (pid, argv, cwd) in list(commands.items()):
            if not sandbox_mod.pid_alive(pid):
                commands[name] = (start_component(base, name, argv, cwd), argv, cwd)
        time.sleep(0.5)


def test_killed_runs_and_a_killed_apiserver(fleet, tmp_path):
    """ansible-playbook SIGKILLed while writing backups, SIGINTed between the
    control plane and the workers, then a worker's kube-apiserver killed in
    the middle of its helm upgrade: every backup stays whole, each refusal or
    failure says what to do, and a re-run completes the fleet."""
    baseline = fleet.histories()

    # 1. SIGKILL while the backups are written
    run = Background(fleet, tmp_path, "kill-backup")
    run.wait_for_line("TASK [dce5.skoala.backup_values : Back up the values of the releases that will change")
    run.kill(signal.SIGKILL)
    assert fleet.histories() == baseline
    assert_backups_whole(fleet)
    killed = lease(fleet)
    assert killed is not None

    # 2. SIGINT (Ctrl-C) once the control plane is done, before the workers
    run = Background(fleet, tmp_path, "int-between")
    run.wait_for_line("PLAY [Upgrade skoala-init on the workers")
    run.interrupt()
    assert run.rc != 0, run
    assert "taken over from %s" % killed["spec"]["holderIdentity"] in flat(run.out)
    assert chart(fleet, fleet.control_plane) == "skoala-" + TARGET
    assert {w: fleet.history(w) for w in fleet.workers} == {w: baseline[w] for w in fleet.workers}
    assert_backups_whole(fleet)

    # 3. the kube-apiserver of a worker killed while helm waits for its pods
    worker = fleet.workers[-1]
    inventory = inventory_with(fleet, tmp_path, "slow-worker", hosts={worker: dict(NEVER_READY, skoala_helm_timeout=40)})
    run = Background(fleet, tmp_path, "apiserver", inventory=inventory, args=["-v"])
    run.wait_for(lambda: (fleet.history(worker) or [(0, "")])[-1][1] == "pending-upgrade",
                 "the helm upgrade of %s" % worker)
    kill_and_restart_apiserver(fleet, worker)
    run.finish()
    assert run.rc != 0, run
    text = flat(run.out)
    assert "%s: helm upgrade of skoala-init 0.19.2 -> %s failed" % (worker, TARGET) in text
    assert "Fix the cause and re-run" in text
    assert "not installed revision None" not in text
    if "could not be read afterwards" in text:  # helm gave up while the API server was down
        assert "re-run with -e skoala_recover_pending=true" in text
    state = fleet.release(worker)
    assert state["chart"] == "skoala-init-0.19.2" or state["status"] != "deployed", \
        "a worker whose upgrade failed is back on its old chart or flagged"
    assert_no_secret(fleet, run.out)

    # the re-run (recovering a release left pending, if any) completes the fleet
    done = fleet.playbook("upgrade.yml", extra_vars={"skoala_recover_pending": True})
    assert done.rc == 0, done
    assert charts(fleet) == at(fleet, TARGET)
    assert all(fleet.release(c)["status"] == "deployed" for c in fleet.clusters)
    assert lease(fleet) is None
    counts = assert_backups_whole(fleet)
    assert counts[fleet.control_plane] >= 1 and all(counts[w] >= 1 for w in fleet.workers)
