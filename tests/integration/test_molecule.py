"""The molecule scenario (converge, idempotence, verify) on the sandbox."""
import os
import subprocess
import sys

from conftest import ROOT


def test_molecule_upgrade_scenario(fleet):
    env = fleet.env()
    env["SANDBOX_INVENTORY"] = os.path.join(fleet.dir, "inventory.yml")
    env["MOLECULE_NO_LOG"] = "false"
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "molecule"), "test", "-s", "upgrade"],
                          cwd=os.path.join(ROOT, "extensions"), env=env, check=False, text=True, timeout=900,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert "idempotence" in proc.stdout.lower()
    for cluster in fleet.clusters:
        assert fleet.release(cluster)["chart"].endswith("0.28.1")
