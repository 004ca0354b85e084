"""The filter plugin dce5.skoala.skoala: every filter there, plain inputs,
and the fleet's problems."""
from ansible_collections.dce5.skoala.plugins.module_utils import versions
from ansible_collections.dce5.skoala.plugins.filter.skoala import FilterModule, fleet_problems


def test_fleet_problems_filter_lists_refusals_and_mismatch():
    problems = fleet_problems({"dce-global": [versions.plan("skoala", "0.18.0", "0.28.1")],
                               "dce-worker-2": [versions.plan("skoala-init", "0.28.1", "0.19.2")]})
    assert any("must end at one version" in x for x in problems)
    assert any(x.startswith("dce-worker-2/skoala-init: ") and "downgrade" in x for x in problems)


def test_filter_module_exposes_every_filter():
    names = set(FilterModule().filters())
    assert {"release_summary", "release_summaries", "chart_versions", "kubeconfig_summary", "input_problems",
            "fleet_table", "fleet_problems", "unready_pods", "with_warnings", "one_per_machine", "fleet_changes",
            "set_values", "expected_images", "cluster_warnings", "strip_url_credentials", "node_cli", "report_with_start",
            "image_registry", "pending_plans", "repo_index_problem", "repo_refresh_failure"} <= names


def test_filters_accept_mapping_like_inputs():
    from collections import UserDict
    summary = FilterModule().filters()["release_summary"]
    lazy = UserDict({"status": UserDict({"chart": "skoala-0.19.2", "status": "deployed", "revision": "1",
                                         "values": UserDict({"hive": UserDict({"image": UserDict({"tag": "v1"})})})})})
    assert summary(lazy, "skoala")["image_tags"] == {"hive.image.tag": "v1"}


class HostVarsLike(dict):
    """Like Ansible's hostvars of one host: templating some variable fails."""

    def items(self):
        raise RuntimeError("a variable of this host cannot be templated")


def test_filters_given_hostvars_read_only_what_they_need():
    filters = FilterModule().filters()
    host = HostVarsLike(skoala_plans=[{"component": "skoala-init"}], skoala_report={"skoala-init": {"result": "failed"}},
                        ansible_connection="local")
    assert filters["report_input"](host) == {"plans": [{"component": "skoala-init"}],
                                             "report": {"skoala-init": {"result": "failed"}}}
    all_hosts = {"w1": host, "w2": HostVarsLike(ansible_connection="local")}
    assert filters["one_per_machine"](["w1", "w2"], all_hosts) == ["w1"]
    assert filters["same_machine"](["w1", "w2"], "w2", all_hosts) == ["w1", "w2"]


def test_plugins_loaded_names_the_plugin_it_cannot_import(monkeypatch):
    import pytest
    from ansible.errors import AnsibleFilterError
    from ansible_collections.dce5.skoala.plugins.filter import skoala
    monkeypatch.setattr(skoala, "plugin_modules", lambda: ["action.helm_upgrade", "action.no_such_plugin"])
    with pytest.raises(AnsibleFilterError) as err:
        FilterModule().filters()["plugins_loaded"]("all")
    assert "ansible_collections.dce5.skoala.plugins.action.no_such_plugin" in str(err.value)
    assert "ModuleNotFoundError" in str(err.value)
