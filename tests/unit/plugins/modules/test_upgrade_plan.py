import pytest

from ansible_collections.dce5.skoala.plugins.modules import upgrade_plan


def test_upgrade_with_steps(run_module):
    failed, result = run_module(upgrade_plan.main, {
        "component": "skoala-init", "current_chart": "skoala-init-0.24.2", "status": "deployed",
        "target_version": "v0.28.1", "available_versions": ["0.24.2", "0.26.2", "0.28.1"],
    })
    assert not failed and result["changed"] is False
    plan = result["plan"]
    assert plan["action"] == "upgrade" and plan["target"] == "0.28.1"
    assert [s["name"] for s in plan["steps"]] == ["delete_jobs"]
    assert plan["image_tags"]["seata-operator.image.tag"] == "v0.28.1"


def test_install_when_no_current_chart(run_module):
    failed, result = run_module(upgrade_plan.main, {
        "component": "skoala", "current_chart": "", "target_version": "0.28.1", "ui_version": "0.19.0"})
    assert not failed
    assert result["plan"]["action"] == "install"
    assert result["plan"]["image_tags"]["ui.image.tag"] == "v0.19.0"


@pytest.mark.parametrize("hive_tag, action, reason", [
    ("v0.28.1", "none", ""),  # the tags match
    ("v0.19.2", "upgrade", "hive.image.tag v0.19.2 -> v0.28.1"),  # a tag drifted
])
def test_image_tags_at_the_target_chart(run_module, hive_tag, action, reason):
    failed, result = run_module(upgrade_plan.main, {
        "component": "skoala", "current_chart": "skoala-0.28.1", "status": "deployed",
        "target_version": "0.28.1",
        "current_image_tags": {"hive.image.tag": hive_tag, "sesame.image.tag": "v0.28.1"}})
    assert not failed and result["plan"]["action"] == action
    assert reason in result["plan"]["reason"]


def test_bad_target_fails_naming_variable(run_module):
    failed, result = run_module(upgrade_plan.main, {
        "component": "skoala", "current_chart": "skoala-0.19.2", "target_version": "latest"})
    assert failed
    assert result["msg"].startswith("skoala_target_version: 'latest' is not a version")


def test_chart_of_other_component_fails(run_module):
    failed, result = run_module(upgrade_plan.main, {
        "component": "skoala", "current_chart": "skoala-init-0.19.2", "target_version": "0.28.1"})
    assert failed and "is not chart skoala" in result["msg"]


def test_unknown_component_rejected_by_argspec(run_module):
    failed, result = run_module(upgrade_plan.main, {"component": "hive", "target_version": "0.28.1"})
    assert failed and "value of component must be one of" in result["msg"]


def test_check_mode_is_supported(run_module):
    failed, result = run_module(upgrade_plan.main, {
        "component": "skoala", "current_chart": "skoala-0.19.2", "target_version": "0.28.1",
        "_ansible_check_mode": True})
    assert not failed and result["plan"]["action"] == "upgrade" and result["changed"] is False


def test_refuse_is_a_result_not_a_failure(run_module):
    failed, result = run_module(upgrade_plan.main, {
        "component": "skoala", "current_chart": "skoala-0.28.1", "target_version": "0.19.2"})
    assert not failed and result["plan"]["action"] == "refuse"
