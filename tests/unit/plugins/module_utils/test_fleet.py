import pytest
import yaml

from ansible_collections.dce5.skoala.plugins.module_utils import fleet, versions
from ansible_collections.dce5.skoala.plugins.filter.skoala import FilterModule, fleet_problems

DSN = "skoala:p@ss:w&rd=%x@tcp(mysql:3306)/skoala?charset=utf8"


def helm_info(chart, status="deployed", revision=3, values=None):
    return {"status": {"chart": chart, "status": status, "revision": str(revision), "app_version": "x",
                       "values": values or {}}}


def test_release_summary_keeps_tags_drops_values():
    values = {"hive": {"image": {"tag": "v0.19.2"}, "configMap": {"database": [{"dsn": DSN}]}},
              "sesame": {"image": {"tag": "v0.19.2"}}, "ui": {"image": {"tag": "v0.18.0"}}}
    summary = fleet.release_summary(helm_info("skoala-0.19.2", values=values), "skoala")
    assert summary == {"installed": True, "chart": "skoala-0.19.2", "version": "0.19.2", "status": "deployed",
                       "revision": 3, "app_version": "x",
                       "image_tags": {"hive.image.tag": "v0.19.2", "sesame.image.tag": "v0.19.2",
                                      "ui.image.tag": "v0.18.0"}}
    assert "p@ss" not in repr(summary)


def test_release_summary_skoala_init_tags_including_seata():
    values = {n: {"image": {"tag": "v0.28.1"}} for n in
              ("skoala-agent", "nacos-operator", "sentinel-operator", "seata-operator")}
    summary = fleet.release_summary(helm_info("skoala-init-0.28.1", values=values), "skoala-init")
    assert len(summary["image_tags"]) == 4


def test_release_summary_absent_release():
    summary = fleet.release_summary({"status": None}, "skoala")
    assert summary["installed"] is False and summary["chart"] == "" and summary["version"] is None


def test_release_summary_pending_state_kept():
    summary = fleet.release_summary(helm_info("skoala-init-0.19.2", status="pending-upgrade"), "skoala-init")
    assert summary["status"] == "pending-upgrade"


def test_release_summaries_by_loop_item():
    results = [dict(helm_info("skoala-0.19.2"), item="skoala"), {"status": None, "item": "skoala-init"}]
    out = fleet.release_summaries(results)
    assert out["skoala"]["version"] == "0.19.2" and out["skoala-init"]["installed"] is False


def test_chart_versions_from_index():
    index = {"entries": {"skoala": [{"version": "0.28.1"}, {"version": "0.19.2"}], "other": [{"version": "9"}]}}
    assert fleet.chart_versions(index, "skoala") == ["0.28.1", "0.19.2"]
    assert fleet.chart_versions(index, "skoala-init") == []
    assert fleet.chart_versions("not a dict", "skoala") == []
    assert fleet.chart_versions({"entries": None}, "skoala") == []


KUBECONFIG = {
    "current-context": "a",
    "contexts": [{"name": "a", "context": {"cluster": "ca", "user": "ua"}},
                 {"name": "b", "context": {"cluster": "cb", "user": "ub"}}],
    "clusters": [{"name": "ca", "cluster": {"server": "https://a:6443"}},
                 {"name": "cb", "cluster": {"server": "https://b:6443"}}],
    "users": [{"name": "ua", "user": {"token": "SECRET-TOKEN"}}],
}


def test_kubeconfig_summary_current_context():
    s = fleet.kubeconfig_summary(KUBECONFIG)
    assert s == {"valid": True, "contexts": ["a", "b"], "context": "a", "context_found": True,
                 "server": "https://a:6443"}
    assert "SECRET" not in repr(s)


def test_kubeconfig_summary_named_and_missing_context():
    assert fleet.kubeconfig_summary(KUBECONFIG, "b")["server"] == "https://b:6443"
    missing = fleet.kubeconfig_summary(KUBECONFIG, "nope")
    assert missing["context_found"] is False and missing["server"] is None


def test_kubeconfig_summary_not_a_kubeconfig():
    assert fleet.kubeconfig_summary("garbage")["valid"] is False
    # unparsable text is an invalid kubeconfig, not an error (whose message could echo a secret)
    assert fleet.kubeconfig_summary("{[ token: s3cret")["valid"] is False
    assert fleet.kubeconfig_summary(b"\x00\xff\x01")["valid"] is False
    assert fleet.kubeconfig_summary("contexts: nope")["valid"] is False
    assert fleet.kubeconfig_summary(yaml.safe_dump(KUBECONFIG))["context_found"] is True
    assert fleet.kubeconfig_summary({})["context_found"] is False


GOOD = {
    "skoala_target_version": "0.28.1", "skoala_ui_version": "", "skoala_source": "online",
    "skoala_repo_url": "https://release.daocloud.io/chartrepo/skoala", "skoala_kubeconfig": "/k.yaml",
    "skoala_allow_downgrade": False, "skoala_recover_pending": False, "skoala_preflight_skip": [],
}


def test_good_inputs_have_no_problems():
    assert fleet.input_problems("w1", GOOD) == []


@pytest.mark.parametrize("var, value, expect", [
    ("skoala_target_version", "latest", "w1: skoala_target_version: 'latest' is not a version"),
    ("skoala_target_version", "", "w1: skoala_target_version: '' is not a version"),
    ("skoala_target_version", None, "w1: skoala_target_version: None is not a version"),
    ("skoala_target_version", "0.28", "w1: skoala_target_version: '0.28' is not a version"),
    ("skoala_ui_version", "v0.19.x", "w1: skoala_ui_version: 'v0.19.x' is not a version"),
    ("skoala_source", "usb-stick", "w1: skoala_source is 'usb-stick'; set it to online or offline"),
    ("skoala_source", "", "w1: skoala_source is ''; set it to online or offline"),
    ("skoala_repo_url", "", "w1: skoala_repo_url is ''; online mode needs the chart repository URL"),
    ("skoala_repo_url", "release.daocloud.io/chartrepo", "w1: skoala_repo_url is 'release.daocloud.io/chartrepo'"),
    ("skoala_kubeconfig", "  ", "w1: skoala_kubeconfig is not set"),
    ("skoala_kubeconfig", None, "w1: skoala_kubeconfig is not set"),
    ("skoala_helm_timeout", -5, "w1: skoala_helm_timeout is -5; use a whole number of seconds above 0"),
    ("skoala_helm_timeout", "10m", "w1: skoala_helm_timeout is '10m'"),
    ("skoala_wait_timeout", True, "w1: skoala_wait_timeout is True"),
    ("skoala_allow_downgrade", "yes", "w1: skoala_allow_downgrade is 'yes'; use true or false"),
    ("skoala_preflight_skip", "mysql", "w1: skoala_preflight_skip is 'mysql'; use a list"),
    ("skoala_preflight_skip", ["mysql", "dns"], "w1: skoala_preflight_skip names unknown checks dns"),
    ("skoala_helm_timeout", 0, "w1: skoala_helm_timeout is 0"),
    ("skoala_helm_timeout", "-30", "w1: skoala_helm_timeout is '-30'"),
    ("skoala_helm_timeout", 1.5, "w1: skoala_helm_timeout is 1.5"),
    ("skoala_workers_serial", 0, "w1: skoala_workers_serial is 0; use a number of workers per batch above 0"),
    ("skoala_workers_serial", "abc", "w1: skoala_workers_serial is 'abc'"),
    ("skoala_workers_serial", "150%", "w1: skoala_workers_serial is '150%'"),
    ("skoala_workers_serial", "0%", "w1: skoala_workers_serial is '0%'"),
    ("skoala_workers_serial", [], "w1: skoala_workers_serial is []"),
    ("skoala_workers_serial", [1, "x"], "w1: skoala_workers_serial is [1, 'x']"),
    ("skoala_workers_serial", -2, "w1: skoala_workers_serial is -2"),
    ("skoala_workers_serial", True, "w1: skoala_workers_serial is True"),
    ("skoala_max_fail_percentage", -1, "w1: skoala_max_fail_percentage is -1; use a number from 0 to 100"),
    ("skoala_max_fail_percentage", 101, "w1: skoala_max_fail_percentage is 101"),
    ("skoala_max_fail_percentage", "half", "w1: skoala_max_fail_percentage is 'half'"),
    ("skoala_lock_ttl", -1, "w1: skoala_lock_ttl is -1; use a whole number of seconds"),
    ("skoala_lock_ttl", "1h", "w1: skoala_lock_ttl is '1h'"),
    ("skoala_lock_takeover", "maybe", "w1: skoala_lock_takeover is 'maybe'; use true or false"),
    ("skoala_recover_pending", 2, "w1: skoala_recover_pending is 2; use true or false"),
    ("skoala_backup_dir", "", "w1: skoala_backup_dir is ''; give a directory path"),
    ("skoala_report_dir", None, "w1: skoala_report_dir is None"),
    ("skoala_kubeconfig", ["a"], "w1: skoala_kubeconfig is not set"),
    ("skoala_source", None, "w1: skoala_source is None"),
])
def test_each_bad_input_named(var, value, expect):
    inputs = dict(GOOD, **{var: value})
    problems = fleet.input_problems("w1", inputs)
    assert len(problems) == 1
    assert problems[0].startswith(expect)


@pytest.mark.parametrize("var, value", [
    ("skoala_helm_timeout", "600"), ("skoala_helm_timeout", 30), ("skoala_workers_serial", 1),
    ("skoala_workers_serial", "2"), ("skoala_workers_serial", "25%"), ("skoala_workers_serial", [1, "50%", 3]),
    ("skoala_max_fail_percentage", 0), ("skoala_max_fail_percentage", "50"), ("skoala_max_fail_percentage", 100),
    ("skoala_max_fail_percentage", "34%"), ("skoala_lock_ttl", 0), ("skoala_lock_ttl", "3600"),
    ("skoala_lock_takeover", "true"), ("skoala_lock_takeover", False), ("skoala_recover_pending", "True"),
    ("skoala_backup_dir", "/var/backups/skoala ü $(x)"), ("skoala_workers_serial", None),
])
def test_good_values_of_later_phases_pass(var, value):
    # -e key=value gives strings; Ansible's serial and max_fail_percentage take these forms
    assert fleet.input_problems("w1", dict(GOOD, **{var: value})) == []


@pytest.mark.parametrize("var, value, keyword", [
    ("skoala_workers_serial", 1, "serial"),
    ("skoala_workers_serial", "25%", "serial"),
    ("skoala_workers_serial", [1, "50%"], "serial"),
    ("skoala_max_fail_percentage", 50, "max_fail_percentage"),
    ("skoala_max_fail_percentage", "34%", "max_fail_percentage"),
])
def test_play_keyword_variable_only_in_the_inventory_is_refused(var, value, keyword):
    problems = fleet.input_problems("w1", dict(GOOD, **{var: value}), ["skoala_target_version"])
    assert len(problems) == 1
    assert problems[0].startswith("w1: %s is %r in the inventory" % (var, value))
    assert "play keyword %s" % keyword in problems[0]
    assert "Pass it with -e" in problems[0]


@pytest.mark.parametrize("var, value", [
    ("skoala_workers_serial", "100%"), ("skoala_workers_serial", " 100% "), ("skoala_workers_serial", None),
    ("skoala_max_fail_percentage", 0), ("skoala_max_fail_percentage", "0"), ("skoala_max_fail_percentage", "0%"),
])
def test_play_keyword_variable_at_its_default_is_harmless_anywhere(var, value):
    assert fleet.input_problems("w1", dict(GOOD, **{var: value}), []) == []


def test_play_keyword_variable_given_with_e_passes():
    inputs = dict(GOOD, skoala_workers_serial=[1, "50%"], skoala_max_fail_percentage="50")
    assert fleet.input_problems("w1", inputs, ["skoala_max_fail_percentage", "skoala_workers_serial"]) == []


def test_play_keyword_check_needs_the_extra_var_names():
    # callers that do not pass the command line (other playbooks, direct use) are not second-guessed
    assert fleet.input_problems("w1", dict(GOOD, skoala_workers_serial=2)) == []


def test_play_keyword_refusal_comes_with_the_value_check():
    problems = fleet.input_problems("w1", dict(GOOD, skoala_workers_serial=0), [])
    assert [p.split(" ", 3)[1] for p in problems] == ["skoala_workers_serial", "skoala_workers_serial"]


def test_offline_needs_registry_and_chart_source():
    inputs = dict(GOOD, skoala_source="offline", skoala_repo_url="")
    problems = fleet.input_problems("g", inputs)
    assert [p.split(" ", 2)[1] for p in problems] == ["skoala_offline_registry", "skoala_offline_bundle"]
    inputs.update(skoala_offline_registry="127.0.0.1:5000", skoala_offline_chart_dir="/charts")
    assert fleet.input_problems("g", inputs) == []


def test_several_problems_reported_together():
    inputs = dict(GOOD, skoala_target_version="latest", skoala_source="x", skoala_kubeconfig="")
    assert len(fleet.input_problems("g", inputs)) == 3


def plans():
    return {
        "dce-worker-1": [versions.plan("skoala-init", "0.24.2", "0.28.1")],
        "dce-global": [versions.plan("skoala", "0.18.0", "0.28.1")],
        "dce-worker-2": [versions.plan("skoala-init", "0.28.1", "0.28.1", status="deployed")],
    }


def test_fleet_table_control_plane_first_and_steps():
    lines = fleet.fleet_table(plans())
    assert lines[0].split() == ["CLUSTER", "COMPONENT", "CURRENT", "TARGET", "ACTION", "STEPS", "WARNINGS"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split()[:6] == ["dce-global", "skoala", "0.18.0", "0.28.1", "upgrade", "db_upgrade"]
    assert lines[3].split()[:6] == ["dce-worker-1", "skoala-init", "0.24.2", "0.28.1", "upgrade", "delete_jobs"]
    assert lines[4].split()[:6] == ["dce-worker-2", "skoala-init", "0.28.1", "0.28.1", "none", "-"]
    # columns line up
    assert len({line.index("skoala") for line in lines[2:]}) == 1


def test_fleet_table_crd_step_labels():
    lines = fleet.fleet_table({"w": [versions.plan("skoala-init", "0.28.1", "0.52.1")]})
    # the vendor's order: the Jobs before the chart, the CRD files after it, by boundary
    assert "delete_jobs, apply_crds(gateway-api.yaml), apply_crds(contour.yaml), apply_crds(higress.gen.yaml)" \
        in lines[2]


def test_fleet_problems_filter_lists_refusals_and_mismatch():
    p = plans()
    p["dce-worker-2"] = [versions.plan("skoala-init", "0.28.1", "0.19.2")]
    problems = fleet_problems(p)
    assert any("must end at one version" in x for x in problems)
    assert any(x.startswith("dce-worker-2/skoala-init: ") and "downgrade" in x for x in problems)


def test_unready_pods():
    pods = [
        {"metadata": {"name": "hive-1"}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
        {"metadata": {"name": "sesame-1"}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}},
        {"metadata": {"name": "ui-1"}, "status": {"phase": "Pending"}},
    ]
    assert fleet.unready_pods(pods) == ["sesame-1 (Running)", "ui-1 (Pending)"]


def test_with_warnings_does_not_mutate():
    original = [versions.plan("skoala", "0.19.2", "0.28.1")]
    out = fleet.with_warnings(original, ["insight-agent not found"])
    assert out[0]["warnings"] == ["insight-agent not found"] and original[0]["warnings"] == []


def test_filter_module_exposes_every_filter():
    names = set(FilterModule().filters())
    assert {"release_summary", "release_summaries", "chart_versions", "kubeconfig_summary", "input_problems",
            "fleet_table", "fleet_problems", "unready_pods", "with_warnings"} <= names


def test_set_values_strings_and_registry():
    assert fleet.set_values({"hive.image.tag": "v0.28.1"}, "127.0.0.1:5000") == [
        {"value": "hive.image.tag=v0.28.1", "value_type": "string"},
        {"value": "global.imageRegistry=127.0.0.1:5000", "value_type": "string"}]
    assert fleet.set_values({}, "") == []


def test_expected_images_maps_ui_to_its_workload():
    assert fleet.expected_images({"hive.image.tag": "v1", "ui.image.tag": "v2", "skoala-agent.image.tag": "v1"}) == {
        "hive": "v1", "skoala-ui": "v2", "skoala-agent": "v1"}


def test_filters_accept_mapping_like_inputs():
    from collections import UserDict
    summary = FilterModule().filters()["release_summary"]
    lazy = UserDict({"status": UserDict({"chart": "skoala-0.19.2", "status": "deployed", "revision": "1",
                                         "values": UserDict({"hive": UserDict({"image": UserDict({"tag": "v1"})})})})})
    assert summary(lazy, "skoala")["image_tags"] == {"hive.image.tag": "v1"}
