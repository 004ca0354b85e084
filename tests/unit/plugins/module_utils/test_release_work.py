"""What upgrade_release does around a chart. The plans here are written from
skoala-facts.md's boundary table, not from our planner: every skoala-init
upgrade deletes the two admission Jobs before the chart; reaching 0.35.x
applies the gateway-api CRD file from the target chart after it."""

import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import release_work

JOBS = {"name": "delete_jobs", "phase": "pre",
        "params": {"namespace": "skoala-system", "jobs": ["gateway-api-admission", "gateway-api-admission-patch"]}}
CRDS = {"name": "apply_crds", "phase": "post",
        "params": {"files": ["skoala-init/charts/contour-provisioner-prereq/crds/gateway-api.yaml"]}}
RECOVER = {"name": "recover_pending", "phase": "pre"}
DB = {"name": "db_upgrade", "phase": "pre"}


def init_plan(steps, action="upgrade"):
    files = [f for s in steps for f in (s.get("params") or {}).get("files", [])]
    return {"component": "skoala-init", "action": action, "steps": steps, "chart_files": files}


def test_skoala_init_past_0_24_2_with_the_batch_deleting_the_jobs_has_nothing_around_the_chart():
    work = release_work.work_of(init_plan([JOBS]), stale_jobs_done=True)
    assert work["pre_steps"] == []
    assert not work["before_chart"]
    assert not work["after_chart"]


def test_skoala_init_used_alone_deletes_its_own_jobs_before_the_chart():
    work = release_work.work_of(init_plan([JOBS]), stale_jobs_done=False)
    assert [s["name"] for s in work["pre_steps"]] == ["delete_jobs"]
    assert work["before_chart"]
    assert not work["after_chart"]


def test_reaching_0_35_unpacks_the_chart_records_the_owed_step_and_applies_the_crds_after():
    work = release_work.work_of(init_plan([JOBS, CRDS]), stale_jobs_done=True)
    assert work["unpack"] and work["record_owed"]
    assert [s["name"] for s in work["post_steps"]] == ["apply_crds"]
    assert work["before_chart"] and work["after_chart"]


def test_a_local_chart_is_read_in_place_not_unpacked():
    work = release_work.work_of(init_plan([JOBS, CRDS]), stale_jobs_done=True, chart_local=True)
    assert not work["unpack"]
    # The record of the owed CRD step is still written before the chart.
    assert work["before_chart"] and work["after_chart"]


def test_finishing_an_interrupted_upgrade_runs_the_post_steps_without_a_new_record():
    work = release_work.work_of(init_plan([CRDS], action="finish"), chart_local=True)
    assert not work["record_owed"]
    assert not work["before_chart"]
    assert work["after_chart"]


def test_recover_pending_is_never_run_again_by_the_role():
    work = release_work.work_of(init_plan([RECOVER, JOBS]), stale_jobs_done=True)
    assert work["pre_steps"] == []
    assert not work["before_chart"]


@pytest.mark.parametrize("component, steps, db_upgrade, expected", [
    ("skoala", [], "always", True),
    ("skoala", [], "auto", False),
    ("skoala", [DB], "always", False),  # the plan runs it already, once
    ("skoala-init", [], "always", False),  # skoala-init has no database
])
def test_database_upgrade_on_request(component, steps, db_upgrade, expected):
    plan = {"component": component, "action": "upgrade", "steps": steps, "chart_files": []}
    work = release_work.work_of(plan, db_upgrade=db_upgrade)
    assert work["db_on_request"] is expected
    assert work["before_chart"] is expected or bool(steps)


def test_user_tasks_before_the_chart_need_the_include():
    work = release_work.work_of(init_plan([JOBS]), stale_jobs_done=True, pre_upgrade_tasks=["mine.yml"])
    assert work["before_chart"]
    assert not work["after_chart"]


def test_a_plan_without_steps_is_read():
    work = release_work.work_of({"component": "skoala", "action": "upgrade"})
    assert work == {"pre_steps": [], "post_steps": [], "unpack": False, "db_on_request": False,
                    "record_owed": False, "before_chart": False, "after_chart": False}
