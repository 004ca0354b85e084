"""helm_upgrade's action plugin: a cluster its batch upgraded gets that
upgrade without a run of the module; any other runs the module, without
the batch's result among its arguments."""
from unittest.mock import MagicMock

from ansible_collections.dce5.skoala.plugins.action.helm_upgrade import ActionModule

ARGS = {"kubeconfig": "/k/w1", "release_name": "skoala-init", "release_namespace": "skoala-system",
        "chart_ref": "sandbox/skoala-init", "chart_version": "0.28.1"}
STATUS = {"name": "skoala-init", "namespace": "skoala-system", "revision": "2", "status": "deployed",
          "chart": "skoala-init-0.28.1", "app_version": "0.28.1"}


def batch(**entries):
    return {"results": [{"item": "w1", "clusters": entries}]}


def run_action(args, host="w1", check_mode=False):
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check_mode
    context = MagicMock()
    context.check_mode = check_mode
    action = ActionModule(task, MagicMock(), context, loader=None, templar=None, shared_loader_obj=None)
    action._execute_module = MagicMock(return_value={"changed": True, "status": dict(STATUS, revision="9")})
    return action, action.run(task_vars={"inventory_hostname": host})


def test_a_cluster_the_batch_upgraded_runs_no_module():
    action, result = run_action(dict(ARGS, batch_result=batch(w1={"failed": False, "msg": "", "status": STATUS})))
    action._execute_module.assert_not_called()
    assert result["changed"] is True and result["status"]["revision"] == "2"
    assert not result.get("failed")


def test_a_cluster_the_batch_failed_fails_with_helms_message():
    entry = {"failed": True, "msg": "UPGRADE FAILED: timed out", "status": {}, "stderr": "Error: timed out"}
    action, result = run_action(dict(ARGS, batch_result=batch(w1=entry)))
    action._execute_module.assert_not_called()
    assert result["failed"] is True and result["msg"] == "UPGRADE FAILED: timed out"


def test_a_cluster_outside_the_batch_runs_the_module_without_the_batch_argument():
    action, result = run_action(dict(ARGS, batch_result=batch(w2={"failed": False, "status": STATUS})))
    action._execute_module.assert_called_once()
    assert action._execute_module.call_args.kwargs["module_args"] == ARGS
    assert result["status"]["revision"] == "9"


def test_check_mode_runs_the_module():
    action, result = run_action(dict(ARGS, batch_result=batch(w1={"failed": False, "status": STATUS})),
                                check_mode=True)
    action._execute_module.assert_called_once()


def test_without_a_batch_it_runs_the_module():
    action, result = run_action(dict(ARGS))
    action._execute_module.assert_called_once()
    assert result["changed"] is True
