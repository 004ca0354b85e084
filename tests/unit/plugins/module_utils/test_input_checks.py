"""The checks of an inventory's inputs (preflight)."""
import pytest

from ansible_collections.dce5.skoala.plugins.module_utils.input_checks import input_problems


GOOD = {
    "skoala_target_version": "0.28.1", "skoala_ui_version": "", "skoala_source": "online",
    "skoala_repo_url": "https://release.daocloud.io/chartrepo/skoala", "skoala_kubeconfig": "/k.yaml",
    "skoala_allow_downgrade": False, "skoala_recover_pending": False, "skoala_preflight_skip": [],
}


def test_good_inputs_have_no_problems():
    assert input_problems("w1", GOOD) == []


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
    problems = input_problems("w1", inputs)
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
    assert input_problems("w1", dict(GOOD, **{var: value})) == []


@pytest.mark.parametrize("var, value, keyword", [
    ("skoala_workers_serial", 1, "serial"),
    ("skoala_workers_serial", "25%", "serial"),
    ("skoala_workers_serial", [1, "50%"], "serial"),
    ("skoala_max_fail_percentage", 50, "max_fail_percentage"),
    ("skoala_max_fail_percentage", "34%", "max_fail_percentage"),
])
def test_play_keyword_variable_only_in_the_inventory_is_refused(var, value, keyword):
    problems = input_problems("w1", dict(GOOD, **{var: value}), ["skoala_target_version"])
    assert len(problems) == 1
    assert problems[0].startswith("w1: %s is %r in the inventory" % (var, value))
    assert "play keyword %s" % keyword in problems[0]
    assert "Pass it with -e" in problems[0]


@pytest.mark.parametrize("var, value", [
    ("skoala_workers_serial", "100%"), ("skoala_workers_serial", " 100% "), ("skoala_workers_serial", None),
    ("skoala_max_fail_percentage", 0), ("skoala_max_fail_percentage", "0"), ("skoala_max_fail_percentage", "0%"),
])
def test_play_keyword_variable_at_its_default_is_harmless_anywhere(var, value):
    assert input_problems("w1", dict(GOOD, **{var: value}), []) == []


def test_play_keyword_variable_given_with_e_passes():
    inputs = dict(GOOD, skoala_workers_serial=[1, "50%"], skoala_max_fail_percentage="50")
    assert input_problems("w1", inputs, ["skoala_max_fail_percentage", "skoala_workers_serial"]) == []


def test_play_keyword_check_needs_the_extra_var_names():
    # callers that do not pass the command line (other playbooks, direct use) are not second-guessed
    assert input_problems("w1", dict(GOOD, skoala_workers_serial=2)) == []


def test_play_keyword_refusal_comes_with_the_value_check():
    problems = input_problems("w1", dict(GOOD, skoala_workers_serial=0), [])
    assert [p.split(" ", 3)[1] for p in problems] == ["skoala_workers_serial", "skoala_workers_serial"]


def test_offline_needs_registry_and_chart_source():
    inputs = dict(GOOD, skoala_source="offline", skoala_repo_url="")
    problems = input_problems("g", inputs)
    assert [p.split(" ", 2)[1] for p in problems] == ["skoala_offline_registry", "skoala_offline_bundle"]
    inputs.update(skoala_offline_registry="127.0.0.1:5000", skoala_offline_chart_dir="/charts")
    assert input_problems("g", inputs) == []


def test_several_problems_reported_together():
    inputs = dict(GOOD, skoala_target_version="latest", skoala_source="x", skoala_kubeconfig="")
    assert len(input_problems("g", inputs)) == 3
