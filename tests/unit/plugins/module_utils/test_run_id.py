import datetime

import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import run_id


def test_new_run_id_is_utc_and_sortable():
    tz = datetime.timezone(datetime.timedelta(hours=8))
    local = datetime.datetime(2026, 12, 4, 19, 5, 6, tzinfo=tz)
    assert run_id.new_run_id(local) == "20261204T110506Z"
    earlier = run_id.new_run_id(datetime.datetime(2026, 12, 4, 11, 5, 5, tzinfo=datetime.timezone.utc))
    assert earlier < run_id.new_run_id(local)


def test_new_run_id_without_argument_is_valid():
    assert run_id.run_id_problem(run_id.new_run_id()) is None


@pytest.mark.parametrize("value", ["20261204T110506Z", "awx-4711", "wf.12", "a"])
def test_valid_run_ids(value):
    assert run_id.run_id_problem(value) is None


@pytest.mark.parametrize("value", ["", "has_underscore", "../up", "with space", "-lead", 42, None, "x" * 64])
def test_invalid_run_ids_name_the_variable_and_fix(value):
    problem = run_id.run_id_problem(value)
    assert problem and "skoala_run_id" in problem and "letters, digits" in problem
