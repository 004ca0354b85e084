"""The machines helm runs on: one host per machine sets up Helm's repositories."""
from ansible_collections.dce5.skoala.plugins.module_utils import machines


def test_local_hosts_share_one_machine():
    hv = {"a": {"ansible_connection": "local"}, "b": {"ansible_connection": "local"}}
    assert machines.one_per_machine(["a", "b"], hv) == ["a"]


def test_remote_hosts_are_told_apart_by_address_user_and_port():
    hv = {
        "a": {"ansible_host": "jump1"},
        "b": {"ansible_host": "jump1"},
        "c": {"ansible_host": "jump1", "ansible_user": "ops"},
        "d": {"ansible_host": "jump1", "ansible_port": 2222},
        "e": {},
        "f": {"ansible_connection": "local"},
    }
    assert machines.one_per_machine(["a", "b", "c", "d", "e", "f"], hv) == ["a", "c", "d", "e", "f"]


def test_one_per_machine_keeps_order_and_handles_no_hosts():
    hv = {"w2": {}, "w1": {}}
    assert machines.one_per_machine(["w2", "w1"], hv) == ["w2", "w1"]
    assert machines.one_per_machine([], hv) == []


def test_same_machine_reads_the_clusters_one_process_can_reach():
    hv = {"g": {"ansible_connection": "local"}, "w1": {"ansible_connection": "local"},
          "w2": {"ansible_host": "jump1"}, "w3": {"ansible_host": "jump1"}, "w4": {"ansible_host": "jump2"}}
    hosts = ["g", "w1", "w2", "w3", "w4"]
    assert machines.same_machine(hosts, "w1", hv) == ["g", "w1"]
    assert machines.same_machine(hosts, "w3", hv) == ["w2", "w3"]
    assert machines.same_machine(hosts, "w4", hv) == ["w4"]
    # the first of each group is the one that reads them: one_per_machine's choice
    assert {machines.same_machine(hosts, h, hv)[0] for h in hosts} == set(machines.one_per_machine(hosts, hv))
