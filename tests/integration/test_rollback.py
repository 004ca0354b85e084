"""rollback.yml on the real sandbox: every release back to its own backed-up
revision with its values, and bad backups refused before anything changes
on any cluster, with a message naming the cluster, the file and the fix.

The bad-input cases share one upgrade (module fixture ``upgraded``); each
edits a copy of the backup directory and points rollback.yml at it with
``-e skoala_backup_dir=...``. Cases that change the fleet come last.
"""
import os
import re
import shutil

import pytest
import yaml

from conftest import backup_in
from sandbox import NAMESPACE

ADMISSION_JOBS = ("gateway-api-admission", "gateway-api-admission-patch")


def both_groups_inventory(fleet, tmp_path):
    """The sandbox inventory with the control plane in skoala_workers too."""
    inv = fleet.inventory_copy()
    children = inv["all"]["children"]
    children["skoala_workers"]["hosts"][fleet.control_plane] = dict(
        children["skoala_control_plane"]["hosts"][fleet.control_plane])
    return fleet.write_inventory(tmp_path, inv, "both-groups.yml")


def failures(run):
    """host -> the message of its failed task, as the operator reads it
    (ansible-core's one-line error; our messages start with the cluster)."""
    out = {}
    for m in re.finditer(r"^\[ERROR\]: Task failed: Action failed: (([^:\s]+): .*)$", run.out, re.M):
        out[m.group(2)] = m.group(1)
    return out


def histories(fleet, pairs):
    return {(c, r): fleet.history(c, r) for c, r in pairs}


def test_both_groups_each_release_back_to_its_own_backup(fleet, tmp_path):
    """The control plane runs skoala and skoala-init; each goes back to its own
    backup (a glob skoala-* once picked skoala-init's file for skoala)."""
    cp = fleet.control_plane
    inventory = both_groups_inventory(fleet, tmp_path)
    fleet.box.install_release(cp, "skoala-init", "0.19.2")
    pairs = [(cp, "skoala"), (cp, "skoala-init")] + [(w, "skoala-init") for w in fleet.workers]
    try:
        before = histories(fleet, pairs)
        up = fleet.playbook("upgrade.yml", inventory=inventory)
        assert up.rc == 0, up
        # skoala-init's finished admission Job pods sit beside hive: no warning
        assert "pods not ready" not in up.out, up.out
        # the control plane has no insight-agent: said on skoala-init's row only
        rows = {}
        for m in re.finditer(r"^\s*%s\s+(skoala|skoala-init)\s+0\.19\.2\s.*$" % re.escape(cp), up.out, re.M):
            rows.setdefault(m.group(1), m.group(0))  # the fleet plan, before the report's table
        assert "insight-agent not found" in rows["skoala-init"] and "insight-agent" not in rows["skoala"], rows
        for cluster, release in pairs:
            assert fleet.release(cluster, release)["chart"] == release + "-0.28.1"

        back = fleet.playbook("rollback.yml", inventory=inventory)
        assert back.rc == 0, back
        backups = os.path.join(fleet.dir, "backups")
        for cluster, release in pairs:
            meta, values = backup_in(backups, cluster, release)[:2]
            assert (meta["chart"], meta["revision"]) == ("%s-0.19.2" % release, before[(cluster, release)][-1][0])
            history = fleet.history(cluster, release)
            # one upgrade, one rollback; the last is the backed-up chart, deployed
            assert len(history) == len(before[(cluster, release)]) + 2, (cluster, release, history)
            assert history[-1][1:] == ("deployed", meta["chart"]), (cluster, release, history)
            assert fleet.values(cluster, release) == values, (cluster, release)
        dsn = fleet.values(cp, "skoala")["hive"]["configMap"]["database"][0]["dsn"]
        assert fleet.box.state["db_password"] in dsn
        assert fleet.box.state["db_password"] not in back.out
        # the table shows both releases of the control plane, each with its own file
        for release in ("skoala", "skoala-init"):
            assert re.search(r"%s\s+%s\s+rollback\s.*\s%s_" % (re.escape(cp), release, release), back.out), back.out

        rolled_back = histories(fleet, pairs)
        again = fleet.playbook("rollback.yml", inventory=inventory)
        assert again.rc == 0, again
        assert set(again.changed().values()) == {0}, again.recap
        assert histories(fleet, pairs) == rolled_back
    finally:
        fleet.box.uninstall(cp, "skoala-init")


# --- bad inputs, one shared upgrade ---------------------------------------------

@pytest.fixture(scope="module")
def upgraded(sandbox):
    """The fleet upgraded 0.19.2 -> 0.28.1 once, with its backups."""
    sandbox.reset()
    run = sandbox.playbook("upgrade.yml")
    assert run.rc == 0, run
    return sandbox


def backups_copy(fleet, tmp_path):
    copy = os.path.join(str(tmp_path), "backups")
    shutil.copytree(os.path.join(fleet.dir, "backups"), copy, ignore=shutil.ignore_patterns(".work"))
    return copy


def refused(fleet, backup_dir, host):
    """Run rollback.yml on ``backup_dir``: it must fail on ``host`` with
    nothing changed anywhere. Returns the message."""
    before = fleet.histories()
    run = fleet.playbook("rollback.yml", extra_vars={"skoala_backup_dir": backup_dir})
    assert run.rc != 0, run
    assert fleet.histories() == before
    assert "PLAY [Roll back skoala-init on the workers" not in run.out, run
    messages = failures(run)
    assert host in messages, run
    assert fleet.box.state["db_password"] not in run.out
    print("\n%s: %s" % (host, messages[host]))  # the operator's words, for the report (pytest -s)
    return messages[host]


def test_truncated_meta_refused(upgraded, tmp_path):
    fleet = upgraded
    copy = backups_copy(fleet, tmp_path)
    worker = fleet.workers[0]
    path = backup_in(copy, worker, "skoala-init")[2]
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text[:len(text) // 2])
    msg = refused(fleet, copy, worker)
    assert msg.startswith("%s: backup metadata %s " % (worker, path)), msg
    assert "restore it from a copy, or move it (with its values file) out of %s" % os.path.dirname(path) in msg


def test_hand_edited_revision_refused(upgraded, tmp_path):
    fleet = upgraded
    copy = backups_copy(fleet, tmp_path)
    cp = fleet.control_plane
    meta, path = backup_in(copy, cp, "skoala")[::2]
    meta["revision"] = "one"
    with open(path, "w") as f:
        yaml.safe_dump(meta, f)
    msg = refused(fleet, copy, cp)
    assert msg.startswith("%s: backup metadata %s has revision 'one', not a whole number above 0;" % (cp, path)), msg
    assert "restore it from a copy" in msg


def test_empty_backup_dir_refused(upgraded, tmp_path):
    fleet = upgraded
    empty = str(tmp_path / "empty")
    os.mkdir(empty)
    before = fleet.histories()
    run = fleet.playbook("rollback.yml", extra_vars={"skoala_backup_dir": empty})
    assert run.rc != 0 and fleet.histories() == before, run
    messages = failures(run)
    for cluster in fleet.clusters:
        release = fleet.component(cluster)
        assert messages[cluster] == (
            "%s: no backup of release %s in %s/%s (no such directory); set skoala_backup_dir to the directory "
            "upgrade.yml (or the role dce5.skoala.backup_values) wrote its backups to (it holds one directory per cluster), or leave this cluster out "
            "with --limit '!%s' (upgrade.yml backs up only releases it changes)."
            % (cluster, release, empty, cluster, cluster)), messages
    print("\n%s: %s" % (fleet.control_plane, messages[fleet.control_plane]))


def clutter(fleet, directory):
    """Backups that are not the newest of this cluster's release: an older
    run (new and old file names) and another cluster's newer backup copied
    in; and a retired cluster's directory."""
    for cluster in fleet.clusters:
        release = fleet.component(cluster)
        meta = backup_in(directory, cluster, release)[0]
        here = os.path.join(directory, cluster)

        def add(stem, **changes):
            doc = dict(meta, values_file=stem + ".values.yaml", **changes)
            with open(os.path.join(here, stem + ".values.yaml"), "w") as f:
                yaml.safe_dump({"older": True}, f)
            with open(os.path.join(here, stem + ".meta.yaml"), "w") as f:
                yaml.safe_dump(doc, f)

        add("%s_20200101T000000Z_rev1" % release, run_id="20200101T000000Z", time="2020-01-01T00:00:00Z")
        add("%s-20200102T000000Z-rev1" % release, run_id="20200102T000000Z", time="2020-01-02T00:00:00Z")
        add("%s_20990101T000000Z_rev9" % release, run_id="20990101T000000Z", time="2099-01-01T00:00:00Z",
            cluster="another-cluster", revision=9)
    shutil.copytree(os.path.join(directory, fleet.workers[0]), os.path.join(directory, "retired-cluster"))


def test_cluttered_backup_dir_check_mode_then_rollback(upgraded, tmp_path):
    fleet = upgraded
    copy = backups_copy(fleet, tmp_path)
    chosen = {c: backup_in(copy, c, fleet.component(c)) for c in fleet.clusters}
    clutter(fleet, copy)
    before = fleet.histories()

    check = fleet.playbook("rollback.yml", extra_vars={"skoala_backup_dir": copy}, args=["--check"])
    assert check.rc == 0, check
    assert fleet.histories() == before
    for cluster, (meta, path) in ((c, b[::2]) for c, b in chosen.items()):
        assert re.search(r"%s\s+%s\s+rollback\s+rev 2 %s-0.28.1 \(deployed\)\s+rev 1 %s\s+%s" % (
            re.escape(cluster), meta["release"], meta["release"], meta["chart"], re.escape(os.path.basename(path))),
            check.out), check.out

    back = fleet.playbook("rollback.yml", extra_vars={"skoala_backup_dir": copy})
    assert back.rc == 0, back
    for cluster, (meta, values) in ((c, b[:2]) for c, b in chosen.items()):
        history = fleet.history(cluster)
        assert history[-1][1:] == ("deployed", meta["chart"]) and history[-1][0] == len(before[cluster]) + 1
        assert fleet.values(cluster) == values
    assert fleet.box.state["db_password"] not in back.out


def test_revision_helm_no_longer_keeps_refused(upgraded, tmp_path):
    """Last: it changes a worker's history. The worker goes to 0.28.1 twice
    more with --history-max 2, so Helm drops the backed-up revision 1."""
    fleet = upgraded
    worker = fleet.workers[-1]
    fleet.kubectl(worker, "delete", "jobs", *ADMISSION_JOBS, "-n", NAMESPACE, "--ignore-not-found", "--wait")
    upgrade = ("upgrade", "skoala-init", "sandbox/skoala-init", "--version", "0.28.1", "-n", NAMESPACE,
               "--reuse-values", "--history-max", "2", "--wait", "--timeout", "120s")
    fleet.helm(worker, *upgrade)
    fleet.helm(worker, *upgrade)
    kept = [h[0] for h in fleet.history(worker)]
    assert 1 not in kept and len(kept) == 2, kept
    copy = backups_copy(fleet, tmp_path)
    meta, path = backup_in(copy, worker, "skoala-init")[::2]
    msg = refused(fleet, copy, worker)
    assert msg.startswith(
        "%s: backup %s records skoala-init revision %d (skoala-init-0.19.2), but Helm no longer keeps revision %d "
        "(it keeps %d-%d; helm upgrade --history-max drops the oldest), so helm rollback cannot return to it;"
        % (worker, path, meta["revision"], meta["revision"], kept[0], kept[1])), msg
    assert "helm upgrade --install skoala-init <repo>/skoala-init --version 0.19.2 -n skoala-system -f %s" % (
        os.path.join(os.path.dirname(path), meta["values_file"])) in msg
