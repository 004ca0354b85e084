"""Each public role's README "Use it alone" example, run verbatim against the
sandbox from a play of a user's own: the example is read from the README,
so the two cannot drift.

The user's inventory is not ours: groups ``global`` and ``workers``, each host
a cluster with its ``skoala_kubeconfig``; the examples run from a directory
of the user's (``./backups``, ``./reports`` are theirs). The tests run in file
order on one sandbox reset: each example starts from where the one before
left the fleet, as a user's evening would.
"""
import os
import re
import stat
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, Run, backup_in

BASELINE = "0.19.2"
TARGET = "0.28.1"
EXAMPLE = re.compile(r"^## Use it alone\n.*?^```yaml\n(.*?)^```", re.M | re.S)


def readme_example(role):
    with open(os.path.join(ROOT, "roles", role, "README.md"), encoding="utf-8") as f:
        match = EXAMPLE.search(f.read())
    assert match, "roles/%s/README.md has no yaml example under '## Use it alone'" % role
    return match.group(1)


class UserSite:
    """A user's directory with their own inventory, where they run the examples."""

    def __init__(self, fleet, path):
        self.fleet = fleet
        self.dir = str(path)
        ours = fleet.inventory["all"]
        shared = {k: v for k, v in ours["vars"].items()
                  if k.startswith("ansible_") or k.startswith("skoala_repo")}
        inventory = {"all": {"vars": shared, "children": {
            "global": {"hosts": ours["children"]["skoala_control_plane"]["hosts"]},
            "workers": {"hosts": ours["children"]["skoala_workers"]["hosts"]}}}}
        fleet.write_inventory(self.dir, inventory, "clusters.yml")

    def run(self, role, *args):
        path = os.path.join(self.dir, "%s.yml" % role)
        with open(path, "w", encoding="utf-8") as f:
            f.write(readme_example(role))
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "clusters.yml", path]
        proc = subprocess.run(cmd + list(args), check=False, env=self.fleet.env(), cwd=self.dir, text=True,
                              timeout=900, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return Run(proc)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)


@pytest.fixture(scope="module")
def site(sandbox, tmp_path_factory):
    sandbox.reset()
    return UserSite(sandbox, tmp_path_factory.mktemp("user-site"))


def versions(fleet):
    return {c: fleet.release(c)["chart"] for c in fleet.clusters}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_every_public_role_has_an_example():
    for role in ("preflight", "helm_repo", "backup_values", "db_upgrade", "upgrade_skoala",
                 "upgrade_skoala_init", "verify", "report", "rollback", "status"):
        example = yaml.safe_load(readme_example(role))
        names = [t.get("ansible.builtin.include_role", {}).get("name") for play in example
                 for t in play.get("tasks", [])]
        assert "dce5.skoala.%s" % role in names, role
        # the user's own tasks come before and after ours
        tasks = example[0]["tasks"] if role != "report" else example[1]["tasks"]
        assert len(tasks) >= 2 and all(t.get("ansible.builtin.include_role") is None for t in tasks[-1:]), role


def test_preflight_alone_plans_and_changes_nothing(site):
    before = site.fleet.histories()
    run = site.run("preflight")
    assert run.rc == 0, run
    assert set(run.changed().values()) == {0}, run
    for cluster in site.fleet.clusters:
        assert "%s: upgrade" % cluster in run.out, run
    assert site.fleet.histories() == before


def test_status_alone_reads_a_converged_fleet_and_changes_nothing(site):
    before = site.fleet.histories()
    # The site's inventory shares the sandbox's skoala_report_dir: this run writes to the site's own.
    run = site.run("status", "-e", "skoala_report_dir=" + site.path("reports"))
    assert run.rc == 0, run
    assert set(run.changed().values()) == {0}, run
    assert "fleet converged (%d clusters)" % len(site.fleet.clusters) in run.out, run
    for cluster in site.fleet.clusters:
        assert cluster in run.out
    written = site.path("reports", "status-latest.json")
    assert mode(written) == 0o600 and mode(site.path("reports")) == 0o700
    assert site.fleet.histories() == before


def test_helm_repo_alone(site):
    run = site.run("helm_repo")
    assert run.rc == 0, run
    again = site.run("helm_repo")
    assert again.rc == 0 and set(again.changed().values()) == {0}, again


def test_backup_values_alone_writes_private_files(site):
    before = site.fleet.histories()
    run = site.run("backup_values")
    assert run.rc == 0, run
    for worker in site.fleet.workers:
        meta, values, meta_path = backup_in(site.path("backups"), worker, "skoala-init")
        assert meta["chart"] == "skoala-init-%s" % BASELINE
        assert mode(meta_path) == 0o600 and mode(os.path.dirname(meta_path)) == 0o700
        assert values == site.fleet.values(worker)
        assert meta["values_file"] in run.out  # the user's task after ours reads skoala_backups
    assert site.fleet.histories() == before


def test_db_upgrade_alone_runs_the_job(site):
    run = site.run("db_upgrade")
    assert run.rc == 0, run
    assert "skoala-system/skoala-db-upgrade: complete" in run.out, run
    assert site.fleet.box.state["db_password"] not in run.out  # the DSN password never shows


def test_upgrade_skoala_init_alone_backs_up_upgrades_and_verifies(site):
    fleet = site.fleet
    check = site.run("upgrade_skoala_init", "--check")
    assert check.rc == 0, check
    assert versions(fleet) == {c: ("skoala-%s" if c == fleet.control_plane else "skoala-init-%s") % BASELINE
                               for c in fleet.clusters}

    run = site.run("upgrade_skoala_init")
    assert run.rc == 0, run
    for worker in fleet.workers:
        assert fleet.release(worker)["chart"] == "skoala-init-%s" % TARGET
        assert "%s: upgraded" % worker in run.out, run
        # the backup came before the change: the newest backup is the baseline's
        assert len([p for p in os.listdir(site.path("backups", worker)) if p.endswith(".meta.yaml")]) == 2
    assert "Workloads are ready and run the expected images" in run.out
    assert fleet.release(fleet.control_plane)["chart"] == "skoala-%s" % BASELINE

    again = site.run("upgrade_skoala_init")
    assert again.rc == 0 and set(again.changed().values()) == {0}, again


def test_verify_alone(site):
    run = site.run("verify")
    assert run.rc == 0, run
    assert set(run.changed().values()) == {0}, run
    for worker in site.fleet.workers:
        assert "skoala-init on %s is healthy" % worker in run.out


def test_verify_alone_fails_on_a_release_not_at_the_target(site):
    run = site.run("verify", "-e", "skoala_target_version=0.30.0", "--limit", site.fleet.workers[0])
    assert run.rc != 0
    assert "skoala-init-0.30.0 deployed" in run.out or "0.30.0" in run.out, run


def test_upgrade_skoala_alone(site):
    fleet = site.fleet
    run = site.run("upgrade_skoala")
    assert run.rc == 0, run
    assert fleet.release(fleet.control_plane)["chart"] == "skoala-%s" % TARGET
    backup_in(site.path("backups"), fleet.control_plane, "skoala")
    again = site.run("upgrade_skoala")
    assert again.rc == 0 and set(again.changed().values()) == {0}, again


def test_report_alone(site):
    run = site.run("report")
    assert run.rc == 0, run
    latest = site.path("reports", "latest.md")
    assert mode(latest) == 0o600
    with open(latest, encoding="utf-8") as f:
        text = f.read()
    for worker in site.fleet.workers:
        assert worker in text


def test_a_refusal_alone_reads_as_in_preflight(site, tmp_path):
    """The same bad target, through preflight.yml and through a role used alone."""
    fleet = site.fleet
    ours = fleet.playbook("preflight.yml", extra_vars={"skoala_target_version": "0.99.0"})
    assert ours.rc != 0
    refusal = re.search(r"%s[^\n\"]*0\.99\.0[^\n\"]*" % re.escape(fleet.workers[0]), ours.out)
    assert refusal, ours
    before = fleet.histories()
    alone = site.run("upgrade_skoala_init", "-e", "skoala_target_version=0.99.0")
    assert alone.rc != 0
    assert refusal.group(0) in alone.out, (refusal.group(0), alone)
    assert fleet.histories() == before


def test_rollback_alone_returns_to_the_backups(site):
    fleet = site.fleet
    run = site.run("rollback")
    assert run.rc == 0, run
    for worker in fleet.workers:
        assert fleet.release(worker)["chart"] == "skoala-init-%s" % BASELINE
        assert "%s: rollback" % worker in run.out, run
    again = site.run("rollback")
    assert again.rc == 0 and set(again.changed().values()) == {0}, again
