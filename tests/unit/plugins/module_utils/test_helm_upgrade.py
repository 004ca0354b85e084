"""One helm upgrade --install: its command line, and the release read from
helm's JSON output in the shape kubernetes.core.helm returns."""
import json

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
