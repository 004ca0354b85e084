"""One helm upgrade --install: its command line, and the release read from
helm's JSON output in the shape kubernetes.core.helm returns."""
import json
import os

import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import helm_upgrade, releases

# `helm upgrade --install skoala-init sandbox/skoala-init --version 0.28.1 -o json
# --set-string skoala-init.image.tag=v0.28.1` of helm v3.19.0 on the sandbox,
# with the chart's templates, values and manifest cut out.
HELM_JSON = json.dumps({
    "name": "skoala-init",
    "info": {"first_deployed": "2026-12-05T05:45:20.112Z", "last_deployed": "2026-12-05T05:45:39.571494721Z",
             "deleted": "", "description": "Upgrade complete", "status": "deployed"},
    "chart": {"metadata": {"name": "skoala-init", "version": "0.28.1", "apiVersion": "v2", "appVersion": "0.28.1",
                           "type": "application"},
              "templates": [], "values": {"skoala-init": {"image": {"tag": "v0.19.2"}}}},
    "config": {"skoala-init": {"image": {"tag": "v0.28.1"}}},
    "manifest": "---\n",
    "version": 2,
    "namespace": "skoala-system",
})

PARAMS = {
    "binary_path": "/opt/helm",
    "kubeconfig": "/k/worker-a.yaml",
    "context": None,
    "release_name": "skoala-init",
    "release_namespace": "skoala-system",
    "chart_ref": "skoala/skoala-init",
    "chart_version": "0.28.1",
    "values_files": ["/b/skoala-init.values.yaml"],
    "release_values": {},
    "set_values": [{"value": "skoala-init.image.tag=v0.28.1", "value_type": "string"}],
    "reset_values": True,
    "create_namespace": True,
    "atomic": False,
    "wait": True,
    "wait_timeout": "600s",
}


def test_argv_is_the_vendor_command_with_the_version_kept():
    argv = helm_upgrade.upgrade_argv(PARAMS)
    assert argv[:6] == ["/opt/helm", "upgrade", "--install", "skoala-init", "skoala/skoala-init", "--namespace"]
    # The vendor page's missing backslash dropped --version: here it is always next to its value.
    assert argv[argv.index("--version") + 1] == "0.28.1"
    assert argv[argv.index("--timeout") + 1] == "600s"
    assert argv[argv.index("--values") + 1] == "/b/skoala-init.values.yaml"
    assert argv[argv.index("--set-string") + 1] == "skoala-init.image.tag=v0.28.1"
    assert argv[argv.index("--kubeconfig") + 1] == "/k/worker-a.yaml"
    assert argv[argv.index("--output") + 1] == "json"
    for flag in ("--reset-values", "--wait", "--create-namespace"):
        assert flag in argv
    assert "--atomic" not in argv and "--kube-context" not in argv


def test_argv_values_order_backup_first_then_extra_values():
    argv = helm_upgrade.upgrade_argv(PARAMS, "/tmp/extra.values.yaml")
    files = [argv[i + 1] for i, a in enumerate(argv) if a == "--values"]
    # Helm merges left to right: the user's extra values win over the backup.
    assert files == ["/b/skoala-init.values.yaml", "/tmp/extra.values.yaml"]


def test_argv_local_chart_without_version_context_and_atomic():
    params = dict(PARAMS, chart_ref="/bundle/skoala-init-0.28.1.tgz", chart_version=None, context="ctx-a",
                  atomic=True, wait=False, values_files=[], set_values=[])
    argv = helm_upgrade.upgrade_argv(params)
    assert "--version" not in argv and "--wait" not in argv and "--timeout" not in argv
    assert argv[argv.index("--kube-context") + 1] == "ctx-a"
    assert "--atomic" in argv and "--values" not in argv and "--set-string" not in argv


def test_argv_helm_from_path_when_no_binary_given():
    assert helm_upgrade.upgrade_argv(dict(PARAMS, binary_path=None))[0] == "helm"


@pytest.mark.parametrize("value_type, flag", [
    ("raw", "--set"), (None, "--set"), ("string", "--set-string"), ("json", "--set-json"),
    ("file", "--set-file"), ("literal", "--set-literal"),
])
def test_set_args_per_value_type(value_type, flag):
    item = {"value": "a.b=1"}
    if value_type:
        item["value_type"] = value_type
    assert helm_upgrade.set_args([item]) == [flag, "a.b=1"]


def test_set_args_unknown_type_is_refused_by_name():
    with pytest.raises(ValueError, match="'yaml' is not one of"):
        helm_upgrade.set_args([{"value": "a=1", "value_type": "yaml"}])


def test_release_status_has_the_fields_of_helm_list_and_the_user_values():
    status = helm_upgrade.release_status(HELM_JSON)
    assert status == {
        "name": "skoala-init", "namespace": "skoala-system", "revision": "2",
        "updated": "2026-12-05T05:45:39.571494721Z", "last_deployed": "2026-12-05T05:45:39.571494721Z",
        "status": "deployed", "chart": "skoala-init-0.28.1", "app_version": "0.28.1",
        "values": {"skoala-init": {"image": {"tag": "v0.28.1"}}},
    }


def test_release_status_reads_as_verify_reads_a_helm_module_result():
    result = {"changed": True, "status": helm_upgrade.release_status(HELM_JSON)}
    assert releases.helm_read_of(result, "skoala-init") is result
    summary = releases.release_summary(result, "skoala-init")
    assert (summary["status"], summary["version"], summary["revision"]) == ("deployed", "0.28.1", 2)


def test_release_status_without_user_values():
    release = json.loads(HELM_JSON)
    release["config"] = None
    assert helm_upgrade.release_status(json.dumps(release))["values"] == {}


def test_release_status_refuses_text_that_is_not_json():
    with pytest.raises(ValueError):
        helm_upgrade.release_status("Release \"skoala-init\" has been upgraded. Happy Helming!")


def test_failure_message_reads_like_kubernetes_core_helm():
    msg = helm_upgrade.failure_message(1, "", "Error: UPGRADE FAILED: context deadline exceeded")
    assert msg == ("Failure when executing Helm command. Exited 1.\nstdout: \n"
                   "stderr: Error: UPGRADE FAILED: context deadline exceeded")


# The request is derived from the vendor's upgrade page: `helm upgrade --install
# skoala-init skoala/skoala-init -n skoala-system --version 0.28.1 -f <backed-up
# values> --set ...image.tag=v0.28.1`, plus --wait and --reset-values.
INIT_PLAN = {"component": "skoala-init", "release": "skoala-init", "namespace": "skoala-system",
             "current": "0.19.2", "target": "0.28.1", "action": "upgrade",
             "image_tags": {"skoala-init.image.tag": "v0.28.1"}}
SETTINGS = {"chart_ref": "skoala/skoala-init", "chart_local": False,
            "values_file": "/b/w1/skoala-init-rev1.values.yaml", "extra_values": {"a": 1},
            "image_registry": "", "atomic": True, "timeout": 600, "binary": "/opt/helm",
            "kubeconfig": "/k/w1.yaml", "context": ""}


def test_request_is_the_vendor_command_with_the_backup_and_the_tags():
    argv = helm_upgrade.upgrade_argv(helm_upgrade.request_of(INIT_PLAN, SETTINGS))
    assert argv[:5] == ["/opt/helm", "upgrade", "--install", "skoala-init", "skoala/skoala-init"]
    assert argv[argv.index("--version") + 1] == "0.28.1"
    assert argv[argv.index("--values") + 1] == "/b/w1/skoala-init-rev1.values.yaml"
    assert argv[argv.index("--set-string") + 1] == "skoala-init.image.tag=v0.28.1"
    assert "--reset-values" in argv and "--wait" in argv and argv[argv.index("--timeout") + 1] == "600s"
    # An upgrade is rolled back by the role (admission Jobs first), never by helm's --atomic.
    assert "--atomic" not in argv
    assert "--kube-context" not in argv


def test_an_install_keeps_helms_atomic_and_a_local_chart_has_no_version():
    plan = dict(INIT_PLAN, action="install", current=None)
    request = helm_upgrade.request_of(plan, dict(SETTINGS, chart_local=True, chart_ref="/bundle/skoala-init-0.28.1.tgz",
                                                 values_file=None, image_registry="reg.local:5000"))
    argv = helm_upgrade.upgrade_argv(request)
    assert "--atomic" in argv and "--version" not in argv and "--values" not in argv
    assert "global.imageRegistry=reg.local:5000" in argv


def noted(plan):
    return {"skoala_plan": plan, "skoala_helm_request": helm_upgrade.noted_request(plan, SETTINGS)}


def test_batch_requests_are_the_hosts_own_noted_requests():
    hostvars = {"w1": noted(INIT_PLAN), "w2": noted(INIT_PLAN)}
    requests = helm_upgrade.requests_of(["w1", "w2"], hostvars, "skoala-init")
    assert [r["cluster"] for r in requests] == ["w1", "w2"]
    assert requests[0] == dict(helm_upgrade.request_of(INIT_PLAN, SETTINGS), cluster="w1")


@pytest.mark.parametrize("host_vars", [
    # Nothing to upgrade now, whatever an earlier play of the run noted.
    dict(noted(INIT_PLAN), skoala_plan=dict(INIT_PLAN, action="none")),
    # finish runs only the steps after the chart.
    dict(noted(INIT_PLAN), skoala_plan=dict(INIT_PLAN, action="finish")),
    # A note for another release of the cluster (a global cluster runs both).
    dict(noted(INIT_PLAN), skoala_plan=dict(INIT_PLAN, component="skoala", release="skoala")),
    # A note from an earlier target.
    dict(noted(dict(INIT_PLAN, target="0.27.1")), skoala_plan=INIT_PLAN),
    # No note: the role has not reached its start here (its own task runs helm).
    {"skoala_plan": INIT_PLAN},
    {},
])
def test_hosts_without_a_current_note_are_left_to_their_own_task(host_vars):
    assert helm_upgrade.requests_of(["w1"], {"w1": host_vars}, "skoala-init") == []


def run_ok(argv):
    return 0, HELM_JSON, "warning: something"


def test_upgrade_writes_the_extra_values_to_a_file_and_reads_the_release():
    written = []

    def values_file(values):
        written.append(values)
        return "/tmp/x.values.yaml"

    result = helm_upgrade.upgrade(helm_upgrade.request_of(INIT_PLAN, SETTINGS), run_ok, values_file)
    assert written == [{"a": 1}]
    assert result["failed"] is False
    assert result["status"]["status"] == "deployed" and result["status"]["chart"] == "skoala-init-0.28.1"
    assert result["command"][result["command"].index("/tmp/x.values.yaml") - 1] == "--values"


def test_upgrade_failure_is_a_result_in_kubernetes_core_helms_words():
    result = helm_upgrade.upgrade(helm_upgrade.request_of(INIT_PLAN, SETTINGS),
                                  lambda argv: (1, "", "Error: UPGRADE FAILED: timed out"), lambda v: "/tmp/v")
    assert result["failed"] is True
    assert result["msg"] == helm_upgrade.failure_message(1, "", "Error: UPGRADE FAILED: timed out")


def test_upgrade_in_check_mode_runs_nothing():
    def never(argv):
        raise AssertionError("helm ran in check mode")

    result = helm_upgrade.upgrade(helm_upgrade.request_of(INIT_PLAN, SETTINGS), never, lambda v: "/tmp/v",
                                  check_mode=True)
    assert result["failed"] is False and result["command"][1] == "upgrade"


def test_upgrade_refuses_an_unknown_set_value_type_without_running_helm():
    request = dict(helm_upgrade.request_of(INIT_PLAN, SETTINGS), set_values=[{"value": "a=b", "value_type": "yaml"}])
    result = helm_upgrade.upgrade(request, lambda argv: (0, HELM_JSON, ""), lambda v: "/tmp/v")
    assert result["failed"] is True and result["msg"].startswith("set_values:")


def test_batch_entry_keeps_what_verify_reads_and_drops_the_values():
    full = helm_upgrade.upgrade(helm_upgrade.request_of(INIT_PLAN, SETTINGS), run_ok, lambda v: "/tmp/v")
    entry = helm_upgrade.batch_entry(full)
    assert "values" not in entry["status"] and "stderr" not in entry
    summary = releases.release_summary(releases.helm_read_of(entry, "skoala-init"), "skoala-init")
    assert releases.deployed_problem(summary, "w1", INIT_PLAN) == ""


def test_batch_entry_of_a_failure_keeps_helms_output():
    failed = helm_upgrade.upgrade(helm_upgrade.request_of(INIT_PLAN, SETTINGS),
                                  lambda argv: (1, "out", "Error: boom"), lambda v: "/tmp/v")
    entry = helm_upgrade.batch_entry(failed)
    assert entry["failed"] and entry["stderr"] == "Error: boom" and entry["stdout"] == "out"


def test_result_of_reads_this_hosts_entry_from_the_looped_runs():
    run = {"results": [{"clusters": {"w1": {"failed": False}}}, {"clusters": {"w2": {"failed": True}}}]}
    assert helm_upgrade.result_of(run, "w2") == {"failed": True}
    assert helm_upgrade.result_of(run, "w3") is None
    assert helm_upgrade.result_of({"skipped": True}, "w1") is None


def full_ok():
    return helm_upgrade.upgrade(helm_upgrade.request_of(INIT_PLAN, SETTINGS), run_ok, lambda v: "/tmp/v")


def batch_run_of(**entries):
    """fleet_helm_upgrade's result registered over its loop (one run per machine)."""
    return {"results": [{"clusters": {host: helm_upgrade.batch_entry(entry)}} for host, entry in entries.items()]}


def test_from_batch_gives_the_upgrade_in_helm_upgrades_own_form():
    done = helm_upgrade.from_batch(batch_run_of(w1=full_ok()), "w1")
    assert done["changed"] is True
    assert "failed" not in done and "msg" not in done
    # verify reads the release from it, as from the module's own run.
    summary = releases.release_summary(releases.helm_read_of(done, "skoala-init"), "skoala-init")
    assert releases.deployed_problem(summary, "w1", INIT_PLAN) == ""


def test_from_batch_fails_with_helms_message():
    failed = helm_upgrade.upgrade(helm_upgrade.request_of(INIT_PLAN, SETTINGS),
                                  lambda argv: (1, "", "Error: UPGRADE FAILED: timed out"), lambda v: "/tmp/v")
    done = helm_upgrade.from_batch(batch_run_of(w1=full_ok(), w2=failed), "w2")
    assert done["failed"] is True
    assert "timed out" in done["msg"]
    assert "changed" not in done
    # The rescue reads the release itself: nothing here passes for helm's read-back.
    assert releases.helm_read_of(done, "skoala-init") == {}


def test_from_batch_is_none_where_the_batch_did_not_upgrade_the_cluster():
    # Not in the batch, a skipped batch (check mode), no batch (the role used alone).
    assert helm_upgrade.from_batch(batch_run_of(w1=full_ok()), "w3") is None
    assert helm_upgrade.from_batch({"skipped": True, "results": []}, "w1") is None
    assert helm_upgrade.from_batch({}, "w1") is None
    assert helm_upgrade.from_batch(None, "w1") is None


def test_progress_file_records_each_cluster_as_it_ends(tmp_path):
    path = str(tmp_path / "progress.json")
    ticks = iter([0.0, 4.0, 10.0, 22.5])
    work = helm_upgrade.with_progress(lambda r: {"failed": r["cluster"] == "w2"}, path, lambda: next(ticks))
    assert helm_upgrade.read_progress(path) == {}
    work({"cluster": "w1"})
    assert helm_upgrade.read_progress(path) == {"w1": {"failed": False, "seconds": 4.0}}
    work({"cluster": "w2"})
    assert helm_upgrade.read_progress(path) == {"w1": {"failed": False, "seconds": 4.0},
                                                "w2": {"failed": True, "seconds": 12.5}}
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_progress_of_a_half_written_file_is_nothing_yet(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text('{"w1": {"fail')
    assert helm_upgrade.read_progress(str(path)) == {}
    assert helm_upgrade.read_progress(str(tmp_path / "absent.json")) == {}


def test_progress_lines_name_each_new_cluster_and_count_the_rest():
    done = {"w1": {"failed": False, "seconds": 12.0}, "w3": {"failed": True, "seconds": 20.5}}
    lines = helm_upgrade.progress_lines(["w1", "w2", "w3", "w4"], done, {"w1"}, 21.7, "skoala-init")
    assert lines == ["[w3] skoala-init: helm upgrade failed (20.5s)",
                     "2/4 clusters' helm upgrades done; helm waits for w2, w4 (21s)"]


def test_progress_lines_when_all_are_done_and_seconds_are_unknown():
    done = {"w1": {"failed": False, "seconds": None}}
    assert helm_upgrade.progress_lines(["w1"], done, set(), 3, "skoala-init") == [
        "[w1] skoala-init: helm upgrade done", "1/1 clusters' helm upgrades done (3s)"]


def test_values_file_is_private_and_holds_the_values(tmp_path):
    path = helm_upgrade.write_values_file(str(tmp_path), {"db": {"dsn": "u:p@tcp(h)/skoala"}})
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    with open(path) as handle:
        assert handle.read() == "db:\n  dsn: u:p@tcp(h)/skoala\n"
