"""Preflight on the real sandbox: passes on the baseline with a fleet table;
every bad input fails with a clear message and leaves every release as it was."""
import os
import re
import socket

import pytest
import yaml

# Every test here leaves the releases as it found them (most assert it), so
# one reset to the baseline serves the whole module.
pytestmark = pytest.mark.usefixtures("baseline_fleet")


def test_preflight_passes_and_prints_fleet_table(sandbox):
    before = sandbox.histories()
    run = sandbox.playbook("preflight.yml")
    assert run.rc == 0, run
    assert "CLUSTER" in run.out and "COMPONENT" in run.out and "ACTION" in run.out
    for cluster in sandbox.clusters:
        assert cluster in run.out
    assert re.search(r"dce-global\s+skoala\s+0\.19\.2\s+0\.28\.1\s+upgrade", run.out)
    assert re.search(r"dce-worker-1\s+skoala-init\s+0\.19\.2\s+0\.28\.1\s+upgrade\s+delete_jobs", run.out)
    # the worker without insight-agent gets a warning, not a failure
    assert "insight-agent not found" in run.out
    assert all(c == 0 for c in run.changed().values()), run.recap
    assert sandbox.histories() == before


def test_preflight_check_mode_changes_nothing(sandbox):
    before = sandbox.histories()
    run = sandbox.playbook("preflight.yml", args=["--check"])
    assert run.rc == 0, run
    assert sandbox.histories() == before


def drop_worker_kubeconfig(inv, fleet, path):
    inv["all"]["children"]["skoala_workers"]["hosts"][fleet.workers[0]]["skoala_kubeconfig"] = path
    return inv


def two_control_planes(inv, fleet):
    inv["all"]["children"]["skoala_control_plane"]["hosts"][fleet.workers[0]] = \
        inv["all"]["children"]["skoala_workers"]["hosts"][fleet.workers[0]]
    return inv


def no_control_plane(inv, fleet):
    inv["all"]["children"]["skoala_control_plane"]["hosts"] = {}
    return inv


def bad_context(inv, fleet):
    inv["all"]["children"]["skoala_workers"]["hosts"][fleet.workers[0]]["skoala_kube_context"] = "no-such-context"
    return inv


def garbage_kubeconfig(inv, fleet):
    path = os.path.join(fleet.dir, "garbage-kubeconfig.yaml")
    with open(path, "wb") as f:
        f.write(b"token: s3cret-in-garbage\n{[\x00\xff")
    return drop_worker_kubeconfig(inv, fleet, path)


# A value that would run a command if it ever reached a shell unquoted.
SHELL_MARKER = "/tmp/dce5-skoala-shell-injection-marker"
SHELL_VALUE = "ctx-\u00fc$(touch %s)`touch %s`;touch %s" % ((SHELL_MARKER,) * 3)


def shell_metacharacters(inv, fleet):
    inv["all"]["children"]["skoala_workers"]["hosts"][fleet.workers[0]]["skoala_kube_context"] = SHELL_VALUE
    return inv


def on_one_worker(name, value):
    """``name: value`` in the inventory of the first worker only: the control
    plane, upgraded before the workers' play starts, does not have it."""
    def change(inv, fleet):
        inv["all"]["children"]["skoala_workers"]["hosts"][fleet.workers[0]][name] = value
        return inv
    return change


def canary_in_inventory(inv, fleet):
    inv["all"]["vars"]["skoala_workers_serial"] = [1, "50%"]
    return inv


CASES = [
    # id, inventory change, extra vars, expected fragments of the message
    ("garbage-target", None, {"skoala_target_version": "latest"},
     ["skoala_target_version: 'latest' is not a version", "X.Y.Z"]),
    ("target-not-in-repo", None, {"skoala_target_version": "0.29.9"},
     ["dce-global/skoala: version 0.29.9 of chart skoala is not in the chart source"]),
    ("downgrade", None, {"skoala_target_version": "0.18.0"},
     ["would be a downgrade", "skoala_allow_downgrade"]),
    ("missing-kubeconfig", lambda inv, f: drop_worker_kubeconfig(inv, f, "/nonexistent/kubeconfig.yaml"), {},
     ["skoala_kubeconfig /nonexistent/kubeconfig.yaml does not exist"]),
    ("kubeconfig-is-a-directory", lambda inv, f: drop_worker_kubeconfig(inv, f, "/tmp"), {},
     ["skoala_kubeconfig /tmp is not a regular file"]),
    ("missing-context", bad_context, {},
     ["context no-such-context (skoala_kube_context) not found in", "set skoala_kube_context to one of them"]),
    ("no-control-plane", no_control_plane, {},
     ["exactly one cluster in group skoala_control_plane", "found 0"]),
    ("two-control-planes", two_control_planes, {},
     ["exactly one cluster in group skoala_control_plane", "found 2"]),
    ("missing-repo-url", None, {"skoala_repo_url": ""},
     ["skoala_repo_url is ''; online mode needs the chart repository URL"]),
    ("wrong-repo-password", None, {"skoala_repo_password": "wrong-password"},
     ["answered HTTP 401", "check skoala_repo_username / skoala_repo_password"]),
    ("unknown-source", None, {"skoala_source": "usb"},
     ["skoala_source"]),
    ("bad-ui-version", None, {"skoala_ui_version": "v0.19.x"},
     ["skoala_ui_version: 'v0.19.x' is not a version"]),
    ("garbage-kubeconfig", garbage_kubeconfig, {},
     ["garbage-kubeconfig.yaml is not a kubeconfig (YAML with contexts and clusters)"]),
    # later phases' variables are checked before anything changes (serial is read only when
    # the workers' play starts, after the control plane was upgraded)
    ("nonsense-serial-negative-timeout-bad-fail-percentage", None,
     {"skoala_workers_serial": "all of them", "skoala_helm_timeout": -5, "skoala_max_fail_percentage": "lots",
      "skoala_lock_ttl": -1},
     ["skoala_workers_serial is 'all of them'; use a number of workers per batch above 0",
      "skoala_helm_timeout is -5; use a whole number of seconds above 0",
      "skoala_max_fail_percentage is 'lots'; use a number from 0 to 100",
      "skoala_lock_ttl is -1"]),
    # Ansible would ignore it there and upgrade every worker at once
    ("canary-serial-in-inventory", canary_in_inventory, {},
     ["dce-worker-1: skoala_workers_serial is [1,", "in the inventory, but the playbooks use it as the workers",
      "Ansible reads play keywords from extra vars only: all workers would be upgraded in one batch",
      "Pass it with -e"]),
    # the roles' argument specs answer first for types they declare
    ("wrong-type", None, {"skoala_recover_pending": "maybe"},
     ["argument 'skoala_recover_pending' is of type str and we were unable to convert to bool"]),
    # the later roles' variables too, on every cluster before any change: the workers'
    # play would check them only after the control plane was upgraded
    ("verify-timeout-on-one-worker", on_one_worker("skoala_verify_timeout", "soon"), {},
     ["dce-worker-1", "argument 'skoala_verify_timeout' is of type str and we were unable to convert to int"]),
    ("helm-atomic-on-one-worker", on_one_worker("skoala_helm_atomic", "maybe"), {},
     ["dce-worker-1", "argument 'skoala_helm_atomic' is of type str and we were unable to convert to bool"]),
    ("node-runtime-on-one-worker", on_one_worker("skoala_node_runtime", "podman"), {},
     ["dce-worker-1", "value of skoala_node_runtime must be one of: containerd, docker, got: podman"]),
    ("extra-values-not-a-dict", None, {"skoala_extra_values": ["replicas=2"]},
     ["argument 'skoala_extra_values' is of type list and we were unable to convert to dict"]),
    ("lock-takeover-word", None, {"skoala_lock_takeover": "perhaps"},
     ["argument 'skoala_lock_takeover' is of type str and we were unable to convert to bool"]),
    ("report-dir-is-a-file", None, {"skoala_report_dir": "/etc/hostname"},
     ["/etc/hostname (skoala_report_dir) is not a directory"]),
    ("unicode-and-shell-in-target", None, {"skoala_target_version": "0.28.1\u00fc; touch %s" % SHELL_MARKER},
     ["is not a version"]),
    ("shell-metacharacters-in-context", shell_metacharacters, {},
     ["(skoala_kube_context) not found in", "set skoala_kube_context to one of them"]),
]


@pytest.mark.parametrize("case_id, change, extra, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_clearly_and_changes_nothing(sandbox, tmp_path, case_id, change, extra, expected):
    before = sandbox.histories()
    inventory = None
    if change:
        inventory = sandbox.write_inventory(tmp_path, change(sandbox.inventory_copy(), sandbox))
    run = sandbox.playbook("upgrade.yml", inventory=inventory, extra_vars=extra)
    assert run.rc != 0, run
    # (the YAML callback folds long messages and doubles quotes in single-quoted ones)
    text = " ".join(run.out.split()).replace("''", "'")
    for fragment in expected:
        assert fragment in text, (fragment, run)
    assert "wrong-password" not in run.out and "s3cret-in-garbage" not in run.out
    assert sandbox.histories() == before
    # stopped in preflight: no lock taken, no values backed up
    assert "PLAY [Take the fleet lock" not in run.out, run
    assert not os.path.exists(SHELL_MARKER), "a value reached a shell"


def test_unreachable_worker_stops_everything(sandbox, tmp_path):
    """A worker whose API server refuses connections. Its kubeconfig is
    pointed at a port this test holds bound but not listening: stopping the
    real cluster would free its ports, and another sandbox on this machine
    may take one before it starts again (seen in CI: the cluster never came
    back, and every later test of the sandbox failed)."""
    before = sandbox.histories()
    worker = sandbox.workers[-1]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        with open(sandbox.box.kubeconfig(worker), encoding="utf-8") as f:
            kubeconfig = yaml.safe_load(f)
        for entry in kubeconfig["clusters"]:
            entry["cluster"]["server"] = "https://127.0.0.1:%d" % port
        dead = tmp_path / "dead-kubeconfig.yaml"
        dead.write_text(yaml.safe_dump(kubeconfig), encoding="utf-8")
        dead.chmod(0o600)
        inv = sandbox.inventory_copy()
        inv["all"]["children"]["skoala_workers"]["hosts"][worker]["skoala_kubeconfig"] = str(dead)
        run = sandbox.playbook("upgrade.yml", inventory=sandbox.write_inventory(tmp_path, inv))
    assert run.rc != 0, run
    text = " ".join(run.out.split())
    assert "%s: cannot reach the API server https://127.0.0.1:%d" % (worker, port) in text
    assert "Connection refused" in text
    assert sandbox.histories() == before


def test_missing_mysql_statefulset_stops_everything(sandbox):
    before = sandbox.histories()
    sandbox.kubectl(sandbox.control_plane, "delete", "statefulset", "-n", "mcamel-system",
                    "mcamel-common-mysql-cluster-mysql")
    try:
        run = sandbox.playbook("upgrade.yml")
    finally:
        sandbox.box.ensure_dependencies(sandbox.workers)
    assert run.rc != 0, run
    text = " ".join(run.out.split())
    assert "StatefulSet mcamel-system/mcamel-common-mysql-cluster-mysql not found" in text
    assert sandbox.histories() == before


def test_skipping_the_mysql_check_is_possible(sandbox):
    sandbox.kubectl(sandbox.control_plane, "delete", "statefulset", "-n", "mcamel-system",
                    "mcamel-common-mysql-cluster-mysql")
    try:
        run = sandbox.playbook("preflight.yml", extra_vars={"skoala_preflight_skip": ["mysql"]})
    finally:
        sandbox.box.ensure_dependencies(sandbox.workers)
    assert run.rc == 0, run
