"""The upgrade_plan action plugin computes the same plan as the module, on the controller."""
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.dce5.skoala.plugins.action.upgrade_plan import ActionModule
from ansible_collections.dce5.skoala.plugins.module_utils import plan as plan_utils
from ansible_collections.dce5.skoala.plugins.modules import upgrade_plan as module


def run_action(args):
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = False
    action = ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    return action.run(task_vars={})


ARGS = {"component": "skoala-init", "current_chart": "skoala-init-0.19.2", "target_version": "0.28.1",
        "available_versions": ["0.19.2", "0.28.1"]}


def test_action_plan_is_the_modules_plan():
    result = run_action(dict(ARGS))
    assert not result.get("failed")
    assert result["changed"] is False
    expected = plan_utils.run(dict({k: v.get("default") for k, v in plan_utils.ARGUMENT_SPEC.items()}, **ARGS))
    assert result["plan"] == expected
    assert result["plan"]["action"] == "upgrade"
    assert module.run is plan_utils.run


def test_action_reports_a_bad_version_as_a_failure():
    result = run_action(dict(ARGS, target_version="latest"))
    assert result["failed"] is True
    assert "skoala_target_version: 'latest' is not a version" in result["msg"]


def test_action_refuses_unknown_arguments():
    with pytest.raises(AnsibleActionFail, match="nonsense"):
        run_action(dict(ARGS, nonsense=1))
