"""Fixtures for tests that run against the real sandbox clusters.

The sandbox (tests/sandbox/sandbox.py) is started once per session. A sandbox
that was already running is reused and left running; one started here is
stopped at the end, even when tests fail.

Under pytest-xdist (make test runs three workers, a test file each at a time)
every worker has its own sandbox: the first uses the usual one, so a sandbox
left by make demo is reused; the others live under the user cache.
"""
import copy
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "sandbox"))

import sandbox as sandbox_mod  # noqa: E402

RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)"
                   r"\s+rescued=(\d+)\s+ignored=(\d+)", re.M)


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "failed": int(m.group(5))}
                      for m in RECAP.finditer(self.out)}

    def changed(self):
        return {h: r["changed"] for h, r in self.recap.items()}

    def __repr__(self):
        return "Run(rc=%s)\n%s" % (self.rc, self.out[-6000:])


class Fleet:
    """The running sandbox, and helpers to act on it as an operator would."""

    def __init__(self, box):
        self.box = box
        self.dir = box.dir
        with open(os.path.join(self.dir, "inventory.yml"), encoding="utf-8") as f:
            self.inventory = yaml.safe_load(f)
        self.clusters = list(box.state["clusters"])
        self.control_plane = sandbox_mod.CONTROL_PLANE
        self.workers = self.clusters[1:]

    def component(self, cluster):
        return "skoala" if cluster == self.control_plane else "skoala-init"

    def reset(self, baseline=sandbox_mod.DEFAULT_BASELINE):
        self.box.reset(baseline)
        self.clear_run_state()

    def clear_run_state(self):
        """No fleet lock a failed or killed run left behind, no backups or reports."""
        self.kubectl(self.control_plane, "delete", "lease", "--all", "-n", sandbox_mod.NAMESPACE,
                     "--ignore-not-found")
        for sub in ("backups", "reports"):
            path = os.path.join(self.dir, sub)
            shutil.rmtree(path, ignore_errors=True)

    def inventory_copy(self):
        return copy.deepcopy(self.inventory)

    def write_inventory(self, tmp_path, inventory, name="inventory.yml"):
        path = os.path.join(str(tmp_path), name)
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(inventory, f)
        os.chmod(path, 0o600)
        return path

    def env(self):
        env = dict(self.box.env)
        env["ANSIBLE_COLLECTIONS_PATH"] = os.environ["ANSIBLE_COLLECTIONS_PATH"]
        env["ANSIBLE_CONFIG"] = os.path.join(ROOT, "ansible.cfg")
        env["ANSIBLE_FORCE_COLOR"] = "0"
        env["ANSIBLE_NOCOLOR"] = "1"
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
        return env

    def playbook(self, name, inventory=None, extra_vars=None, args=(), timeout=900):
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", inventory or os.path.join(self.dir, "inventory.yml"),
               os.path.join(ROOT, "playbooks", name)]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        cmd += list(args)
        proc = subprocess.run(cmd, check=False, env=self.env(), cwd=ROOT, text=True, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return Run(proc)

    def helm(self, cluster, *args, check=True):
        return self.box.helm(cluster, *args, capture=True, check=check)

    def kubectl(self, cluster, *args, check=True, **kw):
        return self.box.kubectl(cluster, *args, capture=True, check=check, **kw)

    def history(self, cluster, release=None):
        """[(revision, status, chart)] of the cluster's release."""
        release = release or self.component(cluster)
        out = self.helm(cluster, "history", release, "-n", sandbox_mod.NAMESPACE, "-o", "json", check=False)
        if out.returncode != 0:
            return []
        return [(r["revision"], r["status"], r["chart"]) for r in json.loads(out.stdout)]

    def histories(self):
        return {c: self.history(c) for c in self.clusters}

    def release(self, cluster, release=None):
        return self.box.release(cluster, release or self.component(cluster))

    def values(self, cluster, release=None, all_values=False):
        args = ["get", "values", release or self.component(cluster), "-n", sandbox_mod.NAMESPACE, "-o", "json"]
        if all_values:
            args.append("--all")
        return json.loads(self.helm(cluster, *args).stdout) or {}

    def objects(self, cluster, kind, namespace=sandbox_mod.NAMESPACE):
        out = self.kubectl(cluster, "get", kind, "-n", namespace, "-o", "json").stdout
        return json.loads(out)["items"]


# Test files by how long they take, longest first, so that the workers
# finish at about the same time. Files not listed run after these. The
# Makefile keeps xdist from reordering them (--no-loadscope-reorder).
SLOW_FILES_FIRST = ("test_reliability.py", "test_paths_a.py", "test_upgrade.py", "test_paths_b.py", "test_awx_workflow.py",
                    "test_db_upgrade.py", "test_role_readmes.py", "test_rollback.py", "test_offline.py", "test_preflight.py",
                    "test_sandbox_is_real.py", "test_molecule.py")


def backup_in(directory, cluster, release):
    """(meta, values, meta path) of the one backup of ``release`` in
    ``directory``/``cluster``, found by what its metadata says."""
    found = []
    for path in glob.glob(os.path.join(directory, cluster, "*.meta.yaml")):
        with open(path) as f:
            meta = yaml.safe_load(f)
        if meta["release"] == release:
            found.append((meta, path))
    assert len(found) == 1, (cluster, release, found)
    meta, path = found[0]
    with open(os.path.join(directory, cluster, meta["values_file"])) as f:
        return meta, yaml.safe_load(f), path


def pytest_collection_modifyitems(items):
    def weight(item):
        name = os.path.basename(str(item.path))
        return SLOW_FILES_FIRST.index(name) if name in SLOW_FILES_FIRST else len(SLOW_FILES_FIRST)
    items.sort(key=weight)  # stable: tests keep their order within a file


def sandbox_dir():
    """None (the default sandbox) except for xdist workers after the first."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if worker == "gw0":
        return None
    # the cache root of tests/sandbox/provision.sh
    cache = os.environ.get("DCE5_SKOALA_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "dce5-skoala")
    checkout = hashlib.sha256(ROOT.encode()).hexdigest()[:12]
    return os.path.join(cache, "sandboxes", checkout, worker)


@pytest.fixture(scope="session")
def sandbox():
    box = sandbox_mod.Sandbox(sandbox_dir())
    was_running = False
    try:
        box.provision()
        was_running = bool(box.state.get("clusters")) and all(box.cluster_healthy(c) for c in box.state["clusters"]) \
            and box.repo_running()
    except Exception:  # noqa: BLE001 - anything wrong means: start afresh
        was_running = False
    try:
        workers = int(os.environ.get("WORKERS") or 2)
        box.up(workers, sandbox_mod.DEFAULT_BASELINE, "0.28.1")
        yield Fleet(box)
    finally:
        if not was_running and not os.environ.get("SANDBOX_KEEP"):
            box.down()


@pytest.fixture
def fleet(sandbox):
    """The sandbox reset to the baseline before the test."""
    sandbox.reset()
    return sandbox


@pytest.fixture(scope="module")
def baseline_fleet(sandbox):
    """The sandbox reset to the baseline once for a module whose tests leave
    every release as they found it (they assert exactly that)."""
    sandbox.reset()
    return sandbox


@pytest.fixture(scope="module")
def matrix_fleet(sandbox):
    """The sandbox for a file of the path matrix (path_matrix.py); it leaves
    no skoala-init on the control plane for the next file."""
    yield sandbox
    sandbox.box.uninstall(sandbox.control_plane, "skoala-init")
