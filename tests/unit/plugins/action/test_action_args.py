"""The three action plugins check their arguments one way: against their
module's spec, failing with the validator's messages and the action's name,
before anything runs on a host."""
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.dce5.skoala.plugins.action import db_upgrade_job, upgrade_plan, wait_ready
from ansible_collections.dce5.skoala.plugins.module_utils import jobs, plan as plan_utils, workloads
from ansible_collections.dce5.skoala.plugins.modules import db_upgrade_job as db_module
from ansible_collections.dce5.skoala.plugins.plugin_utils.action_args import validated_args


def action(cls, args):
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = False
    plugin = cls.ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    plugin._execute_module = MagicMock(side_effect=AssertionError("no module may run on bad arguments"))
    return plugin


def test_validated_args_fills_defaults_and_converts_types():
    spec = {"n": {"type": "int", "default": 3}, "s": {"type": "str"}}
    assert validated_args(spec, {"s": "x"}, "x.y.z") == {"n": 3, "s": "x"}
    assert validated_args(spec, {"n": "7"}, "x.y.z")["n"] == 7


def test_validated_args_fails_with_every_message_and_the_name():
    spec = {"n": {"type": "int"}, "m": {"type": "str", "required": True}}
    with pytest.raises(AnsibleActionFail) as err:
        validated_args(spec, {"n": "many", "bogus": 1}, "dce5.skoala.thing")
    msg = str(err.value)
    assert msg.startswith("dce5.skoala.thing: ")
    assert "m" in msg and "bogus" in msg and "many" in msg


@pytest.mark.parametrize("cls, name", [
    (upgrade_plan, "dce5.skoala.upgrade_plan"),
    (db_upgrade_job, "dce5.skoala.db_upgrade_job"),
    (wait_ready, "dce5.skoala.wait_ready"),
])
def test_each_action_refuses_an_unknown_argument_the_same_way(cls, name):
    with pytest.raises(AnsibleActionFail, match=r"^%s: .*nonsense" % name):
        action(cls, {"namespace": "skoala-system", "nonsense": 1}).run(task_vars={})


def test_db_upgrade_job_action_checks_types_before_running():
    with pytest.raises(AnsibleActionFail, match="wait_timeout"):
        action(db_upgrade_job, {"wait_timeout": "soon"}).run(task_vars={})
    with pytest.raises(AnsibleActionFail, match="cleanup"):
        action(db_upgrade_job, {"cleanup": "never"}).run(task_vars={})


def test_wait_ready_action_needs_a_namespace():
    with pytest.raises(AnsibleActionFail, match="namespace"):
        action(wait_ready, {}).run(task_vars={})


def test_db_upgrade_job_action_runs_the_module_without_wait():
    plugin = action(db_upgrade_job, {"kubeconfig": "/k/global.yaml", "job_manifest": "/tmp/job.yaml", "wait": False})
    plugin._execute_module = MagicMock(return_value={"changed": True, "state": "running"})
    result = plugin.run(task_vars={"inventory_hostname": "c1"})
    assert result["changed"] is True
    sent = plugin._execute_module.call_args.kwargs["module_args"]
    assert sent == {"kubeconfig": "/k/global.yaml", "job_manifest": "/tmp/job.yaml", "state": "present", "wait": False}


def test_cluster_modules_need_a_kubeconfig():
    """Every module that talks to one cluster takes the connection options of
    the doc fragment cluster_connection: a kubeconfig is required."""
    plugin = action(db_upgrade_job, {"job_manifest": "/tmp/job.yaml"})
    with pytest.raises(AnsibleActionFail, match="missing required arguments: kubeconfig"):
        plugin.run(task_vars={"inventory_hostname": "c1"})
    assert workloads.WAIT_READY_ARGUMENT_SPEC["kubeconfig"]["required"] is True


def test_specs_are_shared_with_the_modules():
    assert db_module.jobs.ARGUMENT_SPEC is jobs.ARGUMENT_SPEC
    assert "dsn" in jobs.ARGUMENT_SPEC["database"]["options"]
    assert workloads.WAIT_READY_ARGUMENT_SPEC["namespace"]["required"] is True
    assert plan_utils.ARGUMENT_SPEC
