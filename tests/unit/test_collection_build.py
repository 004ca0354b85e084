"""The collection builds, and the tarball carries the collection, not the
test environment."""
import os
import subprocess
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_build_keeps_tests_and_sandbox_out(tmp_path):
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    subprocess.run([galaxy, "collection", "build", ROOT, "--output-path", str(tmp_path)], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tarball = tmp_path / "dce5-skoala-0.1.0.tar.gz"
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "plugins/modules/upgrade_plan.py" in names
    assert "roles/preflight/tasks/main.yml" in names
    assert "playbooks/upgrade.yml" in names
    assert "MANIFEST.json" in names
    for forbidden in ("tests", ".sandbox", "backups", "reports", "bench", ".git", "extensions", "Makefile", ".ci",
                      "ee-build", ".hypothesis", ".pytest_cache", ".ansible-lint-ignore", "requirements-test.txt",
                      "pytest.ini"):
        assert not any(n == forbidden or n.startswith(forbidden + "/") for n in names), forbidden
    assert not any("__pycache__" in n for n in names)
