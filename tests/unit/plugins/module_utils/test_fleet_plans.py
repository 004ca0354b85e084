"""The fleet's plans: the table preflight shows, refusals, warnings, changes."""
from ansible_collections.dce5.skoala.plugins.module_utils import fleet_plans, versions


def plans():
    return {
        "dce-worker-1": [versions.plan("skoala-init", "0.24.2", "0.28.1")],
        "dce-global": [versions.plan("skoala", "0.18.0", "0.28.1")],
        "dce-worker-2": [versions.plan("skoala-init", "0.28.1", "0.28.1", status="deployed")],
    }


def test_fleet_table_control_plane_first_and_steps():
    lines = fleet_plans.fleet_table(plans())
    assert lines[0].split() == ["CLUSTER", "COMPONENT", "CURRENT", "TARGET", "ACTION", "STEPS", "WARNINGS"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split()[:6] == ["dce-global", "skoala", "0.18.0", "0.28.1", "upgrade", "db_upgrade"]
    assert lines[3].split()[:6] == ["dce-worker-1", "skoala-init", "0.24.2", "0.28.1", "upgrade", "delete_jobs"]
    assert lines[4].split()[:6] == ["dce-worker-2", "skoala-init", "0.28.1", "0.28.1", "none", "-"]
    # columns line up
    assert len({line.index("skoala") for line in lines[2:]}) == 1


def test_fleet_table_crd_step_labels():
    lines = fleet_plans.fleet_table({"w": [versions.plan("skoala-init", "0.28.1", "0.52.1")]})
    # the vendor's order: the Jobs before the chart, the CRD files after it, by boundary
    assert "delete_jobs, apply_crds(gateway-api.yaml), apply_crds(contour.yaml), apply_crds(higress.gen.yaml)" \
        in lines[2]


def test_with_warnings_does_not_mutate():
    original = [versions.plan("skoala", "0.19.2", "0.28.1")]
    out = fleet_plans.with_warnings(original, ["insight-agent not found"])
    assert out[0]["warnings"] == ["insight-agent not found"] and original[0]["warnings"] == []


def test_fleet_changes_counts_releases_that_change():
    plans = {"g": [{"action": "upgrade"}], "w1": [{"action": "none"}], "w2": [{"action": "recover"}], "w3": []}
    assert fleet_plans.fleet_changes(plans) == 2
    assert fleet_plans.fleet_changes({"g": [{"action": "none"}]}) == 0
    assert fleet_plans.fleet_changes({}) == 0


def test_clusters_in_order_control_plane_first_then_by_name():
    assert fleet_plans.clusters_in_order(plans()) == ["dce-global", "dce-worker-1", "dce-worker-2"]
    assert fleet_plans.clusters_in_order({"b": [], "a": []}) == ["a", "b"]


def test_refusals_name_cluster_and_release():
    p = dict(plans(), **{"dce-worker-3": [versions.plan("skoala-init", "0.28.1", "0.19.2")]})
    refused = fleet_plans.refusals(p)
    assert len(refused) == 1 and refused[0].startswith("dce-worker-3/skoala-init: ") and "downgrade" in refused[0]


def test_cluster_warnings_unready_pods_and_missing_insight_agent():
    assert fleet_plans.cluster_warnings({"unready_pods": ["hive-0", "sesame-1"], "insight_found": False},
                                        "skoala-system", "insight-system", "insight-agent") == {
        "skoala": ["pods not ready in skoala-system: hive-0, sesame-1"],
        "skoala-init": ["insight-agent not found (insight-system/insight-agent): "
                        "metrics and traces of skoala-init are skipped"]}
    # insight_found None: not looked for (skoala-init not upgraded, or the check skipped)
    assert fleet_plans.cluster_warnings({"unready_pods": [], "insight_found": None}, "ns", "ins", "rel") == {}
    assert fleet_plans.cluster_warnings({"unready_pods": [], "insight_found": True}, "ns", "ins", "rel") == {}


def test_a_cluster_running_both_charts_gets_each_warning_on_its_own_row():
    # A global cluster that also runs skoala-init: the control plane's pods
    # are skoala's concern, insight-agent is skoala-init's.
    warnings = fleet_plans.cluster_warnings({"unready_pods": ["hive-0 (Pending)"], "insight_found": False},
                                            "skoala-system", "insight-system", "insight-agent")
    plans = [versions.plan("skoala", "0.19.2", "0.28.1"), versions.plan("skoala-init", "0.19.2", "0.28.1")]
    out = {p["component"]: p["warnings"] for p in fleet_plans.with_warnings(plans, warnings)}
    assert [w.split(" ")[0] for w in out["skoala"]] == ["pods"]
    assert [w.split(" ")[0] for w in out["skoala-init"]] == ["insight-agent"]
    # a list still goes to every row
    out = fleet_plans.with_warnings(plans, ["x"])
    assert [p["warnings"] for p in out] == [["x"], ["x"]]


LOCAL = {"ansible_connection": "local"}


def test_fleet_groups_changing_pending_and_one_repo_machine():
    fleet = {
        "dce-global": [versions.plan("skoala", "0.19.2", "0.28.1")],
        "dce-worker-1": [versions.plan("skoala-init", "0.28.1", "0.28.1", status="deployed")],
        "dce-worker-2": [versions.plan("skoala-init", "0.19.2", "0.28.1", status="pending-upgrade",
                                       recover_pending=True)],
        "dce-worker-3": [versions.plan("skoala-init", "0.19.2", "0.28.1")],
    }
    hostvars = {h: LOCAL for h in fleet}
    hostvars["dce-worker-3"] = {"ansible_connection": "ssh", "ansible_host": "jump-2"}
    groups = fleet_plans.fleet_groups(list(fleet), fleet, hostvars)
    assert groups == [
        {"host": "dce-global", "groups": ["skoala_changing", "skoala_repo_machines"]},
        # nothing to change: in no group, so it runs none of the later plays
        {"host": "dce-worker-2", "groups": ["skoala_changing", "skoala_pending"]},
        # reached through another machine: that machine's helm needs the repository too
        {"host": "dce-worker-3", "groups": ["skoala_changing", "skoala_repo_machines"]},
    ]


def test_fleet_groups_of_a_fleet_with_nothing_to_change_is_empty():
    fleet = {"dce-global": [versions.plan("skoala", "0.28.1", "0.28.1", status="deployed")]}
    assert fleet_plans.fleet_groups(["dce-global"], fleet, {"dce-global": LOCAL}) == []


def test_fleet_groups_keep_the_order_of_the_hosts_given():
    fleet = {h: [versions.plan("skoala-init", "0.19.2", "0.28.1")] for h in ("w-b", "w-a")}
    out = fleet_plans.fleet_groups(["w-b", "w-a"], fleet, {"w-a": LOCAL, "w-b": LOCAL})
    assert [g["host"] for g in out] == ["w-b", "w-a"]
    assert out[0]["groups"] == ["skoala_changing", "skoala_repo_machines"]
    assert out[1]["groups"] == ["skoala_changing"]
