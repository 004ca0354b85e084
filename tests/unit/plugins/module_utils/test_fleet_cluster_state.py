"""The pure parts of the cluster_state module: messages and readiness."""
import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import fleet


@pytest.mark.parametrize("exists, is_file, readable, expected", [
    (False, False, False, "does not exist"),
    (True, False, True, "is not a regular file"),
    (True, True, False, "is not readable"),
])
def test_kubeconfig_file_problem_names_the_variable_and_the_fix(exists, is_file, readable, expected):
    msg = fleet.kubeconfig_file_problem("/k.yaml", exists, is_file, readable)
    assert msg == ("skoala_kubeconfig /k.yaml %s; point skoala_kubeconfig at this cluster's kubeconfig file."
                   % expected)


def test_kubeconfig_file_problem_none_for_a_good_file():
    assert fleet.kubeconfig_file_problem("/k.yaml", True, True, True) is None


KUBECONFIG = {
    "current-context": "a",
    "contexts": [{"name": "a", "context": {"cluster": "c1"}}, {"name": "b", "context": {"cluster": "c2"}}],
    "clusters": [{"name": "c1", "cluster": {"server": "https://1.2.3.4:6443"}}],
}


def test_context_problem_none_when_found():
    assert fleet.kubeconfig_context_problem("/k", fleet.kubeconfig_summary(KUBECONFIG)) is None


def test_context_problem_lists_the_contexts_there_are():
    msg = fleet.kubeconfig_context_problem("/k", fleet.kubeconfig_summary(KUBECONFIG, "zz"))
    assert msg == "context zz (skoala_kube_context) not found in /k (it has: a, b); set skoala_kube_context to one of them."


def test_context_problem_of_a_file_that_is_not_a_kubeconfig():
    msg = fleet.kubeconfig_context_problem("/k", fleet.kubeconfig_summary("just text"))
    assert msg == ("skoala_kubeconfig /k is not a kubeconfig (YAML with contexts and clusters); "
                   "point skoala_kubeconfig at the kubeconfig file of the cluster.")


def test_context_problem_without_a_current_context():
    config = dict(KUBECONFIG)
    del config["current-context"]
    msg = fleet.kubeconfig_context_problem("/k", fleet.kubeconfig_summary(config))
    assert msg == "no current-context not found in /k (it has: a, b); set skoala_kube_context to one of them."


def test_unreachable_message_names_server_and_fix_and_is_short():
    summary = fleet.kubeconfig_summary(KUBECONFIG)
    msg = fleet.unreachable_message("w1", summary, "/k", "Connection refused\n" + "x" * 1000)
    assert msg.startswith("w1: cannot reach the API server https://1.2.3.4:6443 (kubeconfig /k, context a): "
                          "Connection refused x")
    assert msg.endswith("Check the cluster is up and the kubeconfig points at it.")
    assert len(msg) < 600


def test_unreachable_message_without_server():
    msg = fleet.unreachable_message("w1", {"context": None}, "/k", "")
    assert "API server ? " in msg and "unknown error" in msg


@pytest.mark.parametrize("sts, expected", [
    ({"spec": {"replicas": 3}, "status": {"readyReplicas": 3}}, {"found": True, "ready": 3, "replicas": 3}),
    ({"spec": {"replicas": 3}, "status": {}}, {"found": True, "ready": 0, "replicas": 3}),
    ({"spec": {}, "status": {"readyReplicas": 1}}, {"found": True, "ready": 1, "replicas": 1}),
    ({}, {"found": True, "ready": 0, "replicas": 1}),
])
def test_statefulset_readiness(sts, expected):
    assert fleet.statefulset_readiness(sts) == expected


def test_local_hosts_share_one_machine():
    hv = {"a": {"ansible_connection": "local"}, "b": {"ansible_connection": "local"}}
    assert fleet.one_per_machine(["a", "b"], hv) == ["a"]


def test_remote_hosts_are_told_apart_by_address_user_and_port():
    hv = {
        "a": {"ansible_host": "jump1"},
        "b": {"ansible_host": "jump1"},
        "c": {"ansible_host": "jump1", "ansible_user": "ops"},
        "d": {"ansible_host": "jump1", "ansible_port": 2222},
        "e": {},
        "f": {"ansible_connection": "local"},
    }
    assert fleet.one_per_machine(["a", "b", "c", "d", "e", "f"], hv) == ["a", "c", "d", "e", "f"]


def test_one_per_machine_keeps_order_and_handles_no_hosts():
    hv = {"w2": {}, "w1": {}}
    assert fleet.one_per_machine(["w2", "w1"], hv) == ["w2", "w1"]
    assert fleet.one_per_machine([], hv) == []


def test_fleet_changes_counts_releases_that_change():
    plans = {"g": [{"action": "upgrade"}], "w1": [{"action": "none"}], "w2": [{"action": "recover"}], "w3": []}
    assert fleet.fleet_changes(plans) == 2
    assert fleet.fleet_changes({"g": [{"action": "none"}]}) == 0
    assert fleet.fleet_changes({}) == 0
