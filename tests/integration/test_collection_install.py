"""The collection as users get it: `ansible-galaxy collection build` makes a
tarball without the development tree, it installs offline into an empty
collections path, and `ansible-playbook dce5.skoala.preflight` runs from that
install against the sandbox (kubernetes.core from the `ansible` package)."""
import json
import os
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

# Development-only paths that must never reach the tarball.
FORBIDDEN = ("tests", ".sandbox", "backups", "reports", "bench", ".git", ".ci", "extensions", "Makefile",
             "ee-build", "context", "docs/_build", ".pytest_cache", ".hypothesis", ".ansible", ".cache",
             "requirements-test.txt", ".ansible-lint", ".ansible-lint-ignore", "execution-environment.yml", "pytest.ini",
             "ansible.cfg")


def run(cmd, **kw):
    return subprocess.run(cmd, text=True, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    proc = run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", ROOT, "--output-path", str(out)])
    assert proc.returncode == 0, proc.stdout
    (path,) = out.glob("dce5-skoala-*.tar.gz")
    return path


def test_tarball_has_the_collection_and_no_development_files(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    for wanted in ("MANIFEST.json", "FILES.json", "LICENSE", "README.md", "meta/runtime.yml",
                   "meta/execution-environment.yml", "requirements.txt", "bindep.txt", "docs/variables.md",
                   "changelogs/changelog.yaml", "plugins/modules/upgrade_plan.py", "playbooks/preflight.yml",
                   "roles/preflight/meta/argument_specs.yml"):
        assert wanted in names, wanted
    for forbidden in FORBIDDEN:
        assert not any(n == forbidden or n.startswith(forbidden + "/") for n in names), forbidden
    assert not any("__pycache__" in n or n.endswith((".pyc", ".retry", ".tar.gz")) for n in names)


def test_installed_tarball_runs_preflight_on_the_sandbox(fleet, tarball, tmp_path):
    # The fleet fixture resets the sandbox: a file run before on this worker may
    # leave it upgraded or a release pending, and preflight would rightly refuse.
    sandbox = fleet
    collections = tmp_path / "collections"
    env = sandbox.env()
    # only the clean install (not the checkout); kubernetes.core comes from the ansible package's collections
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    env.pop("ANSIBLE_CONFIG", None)
    proc = run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
                "-p", str(collections), str(tarball)], env=env, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout
    installed = collections / "ansible_collections" / "dce5" / "skoala"
    assert (installed / "MANIFEST.json").is_file() and not installed.is_symlink(), proc.stdout
    where = run([os.path.join(BIN, "ansible-doc"), "-t", "role", "--json", "dce5.skoala.preflight"], env=env, cwd=str(tmp_path))
    assert json.loads(where.stdout)["dce5.skoala.preflight"]["path"] == str(installed), where.stdout
    deps = run([os.path.join(BIN, "ansible-galaxy"), "collection", "list", "kubernetes.core"], env=env, cwd=str(tmp_path))
    assert "kubernetes.core" in deps.stdout, deps.stdout

    before = sandbox.histories()
    play = run([os.path.join(BIN, "ansible-playbook"), "dce5.skoala.preflight",
                "-i", os.path.join(sandbox.dir, "inventory.yml")], env=env, cwd=str(tmp_path), timeout=600)
    assert play.returncode == 0, play.stdout[-6000:]
    assert "CLUSTER" in play.stdout and "COMPONENT" in play.stdout
    for cluster in sandbox.clusters:
        assert cluster in play.stdout
    assert sandbox.histories() == before
