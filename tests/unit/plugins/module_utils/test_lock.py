"""The fleet lock's decisions (module_utils/lock.py): pure logic on the Lease
as kubernetes.core.k8s_info returns it."""
import datetime
import os

import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import lock
from ansible_collections.dce5.skoala.plugins.filter.skoala import FilterModule

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 11, 21, 6, 0, 0, 123456, tzinfo=UTC)
NAME, NS = "skoala-upgrade-lock", "skoala-system"


def me(pid=111, host="ctl", run="R2"):
    return lock.identity(run, user="ops", host=host, pid=pid, now=T0)


def lease_of(who, ttl=0, rv="42", renewed=None):
    lease = lock.lease_definition(who, NAME, NS, ttl, target="0.28.1")
    lease["metadata"]["resourceVersion"] = rv
    if renewed:
        lease["spec"]["renewTime"] = lock.format_time(renewed)
    return lease


def alive(pid):
    return True


def dead(pid):
    return False


def test_identity_names_user_host_pid_run_and_time():
    ident = me()
    assert ident["holder"] == "ops@ctl pid 111 run R2"
    assert ident["owner"] == "ops@ctl" and ident["started"] == "2026-11-21T06:00:00.123456Z"


def test_identity_defaults_come_from_the_process():
    ident = lock.identity("R")
    assert ident["pid"] > 0 and "@" in ident["owner"] and ident["run_id"] == "R"


@pytest.mark.parametrize("lease", [None, {}, {"spec": {}}, {"spec": {"holderIdentity": ""}}])
def test_free_lock_is_acquired(lease):
    d = lock.decide(lease, me(), NAME, NS, alive=alive)
    assert d["action"] == "acquire"
    spec = d["definition"]["spec"]
    assert spec["holderIdentity"] == "ops@ctl pid 111 run R2"
    assert spec["acquireTime"] == spec["renewTime"] == "2026-11-21T06:00:00.123456Z"
    assert "leaseDurationSeconds" not in spec
    meta = d["definition"]["metadata"]
    assert meta["name"] == NAME and meta["namespace"] == NS
    assert meta["annotations"]["skoala.dce5.io/pid"] == "111"
    assert d["definition"]["apiVersion"] == "coordination.k8s.io/v1" and d["definition"]["kind"] == "Lease"


def test_released_lease_keeps_its_resource_version_when_reacquired():
    lease = {"metadata": {"resourceVersion": "7"}, "spec": {"holderIdentity": None}}
    d = lock.decide(lease, me(), NAME, NS, alive=alive)
    assert d["action"] == "acquire" and d["definition"]["metadata"]["resourceVersion"] == "7"


def test_our_own_lock_is_held():
    d = lock.decide(lease_of(me()), me(), NAME, NS, alive=alive)
    assert d["action"] == "held" and d["definition"] is None


def test_someone_elses_live_lock_is_refused_with_owner_time_and_takeover():
    other = me(pid=222, host="jump-1", run="R1")
    d = lock.decide(lease_of(other), me(), NAME, NS, alive=alive, now=T0)
    assert d["action"] == "refuse" and d["definition"] is None
    msg = d["message"]
    assert "ops@jump-1 pid 222 run R1" in msg
    assert "started 2026-11-21T06:00:00.123456Z" in msg
    assert "-e skoala_lock_takeover=true" in msg
    assert "Lease skoala-system/skoala-upgrade-lock" in msg


def test_another_host_with_a_dead_pid_is_not_judged_from_here():
    other = me(pid=222, host="jump-1", run="R1")
    assert lock.decide(lease_of(other), me(), NAME, NS, alive=dead)["action"] == "refuse"


def test_same_host_dead_process_is_stale_and_taken_over():
    other = me(pid=222, run="R1")
    d = lock.decide(lease_of(other, rv="99"), me(), NAME, NS, alive=dead)
    assert d["action"] == "takeover"
    assert "process 222 on this host (ctl) is gone" in d["message"]
    # the write carries the resourceVersion read, so a concurrent change fails it
    assert d["definition"]["metadata"]["resourceVersion"] == "99"
    assert d["previous"]["holder"] == "ops@ctl pid 222 run R1"


def test_same_host_live_process_is_refused():
    other = me(pid=222, run="R1")
    assert lock.decide(lease_of(other), me(), NAME, NS, alive=alive)["action"] == "refuse"


def test_explicit_takeover():
    other = me(pid=222, host="jump-1", run="R1")
    d = lock.decide(lease_of(other), me(), NAME, NS, takeover=True, alive=alive)
    assert d["action"] == "takeover" and "on request (skoala_lock_takeover)" in d["message"]


def test_ttl_expiry():
    other = me(pid=222, host="jump-1", run="R1")
    lease = lease_of(other, ttl=60, renewed=T0)
    assert lock.decide(lease, me(), NAME, NS, now=T0 + datetime.timedelta(seconds=59),
                       alive=alive)["action"] == "refuse"
    late = lock.decide(lease, me(), NAME, NS, now=T0 + datetime.timedelta(seconds=61), alive=alive)
    assert late["action"] == "takeover" and "60s time to live (skoala_lock_ttl) ran out" in late["message"]


def test_ttl_is_written_when_set():
    d = lock.decide(None, me(), NAME, NS, ttl=3600)
    assert d["definition"]["spec"]["leaseDurationSeconds"] == 3600


def test_foreign_lease_without_annotations_is_refused_by_holder_identity():
    lease = {"metadata": {"resourceVersion": "3"}, "spec": {"holderIdentity": "someone-else"}}
    d = lock.decide(lease, me(), NAME, NS, alive=dead)
    assert d["action"] == "refuse" and "held by someone-else (started at an unknown time)" in d["message"]


def test_releasable_only_by_its_holder():
    assert lock.releasable(lease_of(me()), me()["holder"])
    assert not lock.releasable(lease_of(me(pid=5)), me()["holder"])
    assert not lock.releasable(None, me()["holder"])


@pytest.mark.parametrize("text, ok", [
    ("2026-11-21T06:00:00.123456Z", True), ("2026-11-21T06:00:00Z", True), ("", False), (None, False),
    ("yesterday", False), (5, False)])
def test_parse_time(text, ok):
    assert (lock.parse_time(text) is not None) is ok


def test_pid_alive_for_this_process_and_not_for_a_free_pid():
    # this process is pytest, not ansible-playbook: a reused pid does not keep a lock
    assert lock.pid_alive(os.getpid()) is False
    assert lock.pid_alive(2 ** 22 + 1) is False
    assert lock.pid_alive("x") is False and lock.pid_alive(None) is False


def test_filters_exposed():
    filters = FilterModule().filters()
    assert "lock_identity" in filters
    # the decisions run in the module lease_lock, not in Jinja
    assert not {"lock_decision", "lock_releasable", "lock_not_held"} & set(filters)


def test_decide_reads_takeover_as_the_command_line_gives_it():
    other = me(pid=222, host="other", run="R1")
    assert lock.decide(lease_of(other), me(), NAME, NS, takeover="true")["action"] == "takeover"
    assert lock.decide(lease_of(other), me(), NAME, NS, takeover="false")["action"] == "refuse"
    assert lock.decide(None, me(), NAME, NS, ttl=60)["definition"]["spec"]["leaseDurationSeconds"] == 60
    d = lock.decide(None, me(), NAME, NS, target="0.28.1")
    assert d["action"] == "acquire"
    assert d["definition"]["metadata"]["annotations"]["skoala.dce5.io/target-version"] == "0.28.1"


def test_not_held_says_whose_lock_or_why_the_write_failed():
    other = me(pid=222, host="other", run="R1")
    refused = lock.decide(lease_of(other), me(), NAME, NS)
    assert lock.not_held(refused, {"msg": "conflict"}) == refused["message"]
    assert lock.not_held(lock.decide(None, me(), NAME, NS), {"msg": "Failed to patch: 409\n  Conflict"}) == (
        "could not write the fleet lock: Failed to patch: 409 Conflict")
    assert lock.not_held({"action": "acquire"}, {}) == "could not write the fleet lock: unknown error"
    long_error = lock.not_held({"action": "acquire"}, {"msg": "x" * 1000})
    assert len(long_error) == len("could not write the fleet lock: ") + 300 and long_error.endswith("...")


def test_playbook_pid_is_the_topmost_ansible_playbook_ancestor():
    # worker 300 forked from ansible-playbook 200 (same command line), started by a shell 100
    lines = {300: "python3 /venv/bin/ansible-playbook -i inv up.yml", 200: "python3 /venv/bin/ansible-playbook -i inv up.yml",
             100: "bash"}
    parents = {300: 200, 200: 100, 100: 1}
    assert lock.playbook_pid(300, cmdline=lambda p: lines.get(p, ""), parent=parents.get) == 200
    assert lock.playbook_pid(200, cmdline=lambda p: lines.get(p, ""), parent=parents.get) == 200
    # not under ansible-playbook: the parent
    assert lock.playbook_pid(100, cmdline=lambda p: lines.get(p, ""), parent=parents.get) == os.getppid()


@pytest.mark.parametrize("value, takes", [("false", False), ("False", False), ("", False), (False, False),
                                          ("true", True), ("yes", True), (True, True)])
def test_takeover_strings_from_the_command_line(value, takes):
    other = me(pid=222, host="jump-1", run="R1")
    d = lock.decide(lease_of(other), me(), NAME, NS, takeover=value, alive=alive)
    assert d["action"] == ("takeover" if takes else "refuse")


# --- a workflow's shared lock (docs/awx.md) ---

def shared_lease(who, done=None, ttl=0):
    lease = lock.lease_definition(who, NAME, NS, ttl, target="0.28.1", shared=True)
    lease["metadata"]["resourceVersion"] = "7"
    if done:
        lease["metadata"]["annotations"][lock.CONTROL_PLANE_DONE] = done
    return lease


def test_a_job_of_the_same_workflow_run_joins_the_shared_lock():
    first = me(pid=10, host="awx-node-1", run="wf-41")
    slice_job = me(pid=99, host="awx-node-2", run="wf-41")
    got = lock.decide(shared_lease(first), slice_job, NAME, NS, shared=True, alive=dead)
    assert got["action"] == "join" and got["definition"] is None
    assert "wf-41" in got["message"]


def test_another_run_is_refused_by_a_workflow_lock_naming_its_holder():
    first = me(pid=10, host="ctl", run="wf-41")
    other = me(pid=20, host="ctl", run="20261204T190000Z")
    # The workflow's first job has ended (its pid is gone): still refused.
    got = lock.decide(shared_lease(first), other, NAME, NS, alive=dead)
    assert got["action"] == "refuse"
    assert "ops@ctl pid 10 run wf-41" in got["message"]


def test_another_workflow_run_is_refused_too():
    got = lock.decide(shared_lease(me(run="wf-41")), me(pid=5, run="wf-42"), NAME, NS, shared=True, alive=dead)
    assert got["action"] == "refuse"


def test_a_plain_run_with_the_same_run_id_does_not_join():
    # Joining needs both sides to be a workflow (shared).
    got = lock.decide(shared_lease(me(pid=10, run="R")), me(pid=11, run="R"), NAME, NS, alive=alive)
    assert got["action"] == "refuse"


def test_a_plain_lock_is_not_joined_by_a_workflow_job():
    plain = lease_of(me(pid=10, run="R"))
    got = lock.decide(plain, me(pid=11, run="R"), NAME, NS, shared=True, alive=alive)
    assert got["action"] == "refuse"


def test_a_shared_lock_still_expires_by_its_ttl():
    old = shared_lease(me(pid=10, run="wf-41"), ttl=60)
    got = lock.decide(old, me(pid=11, run="other"), NAME, NS, now=T0 + datetime.timedelta(seconds=61), alive=alive)
    assert got["action"] == "takeover"


def test_a_shared_lock_is_written_as_shared():
    got = lock.decide(None, me(run="wf-1"), NAME, NS, shared=True)
    assert got["action"] == "acquire"
    assert got["definition"]["metadata"]["annotations"][lock.SHARED] == "true"
    assert lock.holder_of(got["definition"])["shared"] is True
    plain = lock.decide(None, me(run="R"), NAME, NS)
    assert lock.holder_of(plain["definition"])["shared"] is False


def test_decide_reads_shared_as_the_command_line_gives_it():
    got = lock.decide(shared_lease(me(pid=1, run="wf-1")), me(pid=2, run="wf-1"), NAME, NS, shared="true")
    assert got["action"] == "join"


def test_only_the_workflow_run_releases_its_shared_lock():
    lease = shared_lease(me(run="wf-41"))
    assert lock.releasable_by_run(lease, "wf-41")
    assert not lock.releasable_by_run(lease, "wf-42")
    assert not lock.releasable_by_run(lease_of(me(run="wf-41")), "wf-41")  # a plain run's lock
    assert not lock.releasable_by_run(None, "wf-41")


def test_workers_refuse_without_a_lock():
    msg = lock.phase_problem(None, "wf-41", NAME, NS)
    assert "no run holds the fleet lock" in msg and "preflight" in msg


def test_workers_refuse_before_the_control_plane_phase_completed():
    msg = lock.phase_problem(shared_lease(me(run="wf-41")), "wf-41", NAME, NS)
    assert "control-plane phase has not completed" in msg and "-e skoala_run_id=wf-41" in msg


def test_workers_refuse_when_the_mark_is_of_another_run():
    msg = lock.phase_problem(shared_lease(me(run="wf-41"), done="wf-40"), "wf-41", NAME, NS)
    assert "control-plane phase has not completed" in msg


def test_workers_refuse_when_another_run_holds_the_lock():
    msg = lock.phase_problem(shared_lease(me(run="wf-40"), done="wf-40"), "wf-41", NAME, NS)
    assert "held by another run" in msg and "run wf-40" in msg


def test_workers_start_once_the_control_plane_is_marked_for_their_run():
    assert lock.phase_problem(shared_lease(me(run="wf-41"), done="wf-41"), "wf-41", NAME, NS) is None


def test_the_new_filters_are_registered():
    filters = FilterModule().filters()
    lease = shared_lease(me(run="wf-41"), done="wf-41")
    assert filters["lock_phase_problem"](lease, "wf-41", NAME, NS) is None
    assert filters["lock_releasable_by_run"](lease, "wf-41") is True


# --- preflight's word on the lock, from the fleet read --------------------------

def reads_with(lease):
    return [{"problem": None, "lock": None}, {"problem": None, "lock": lease}]


def test_preflight_names_another_run_that_holds_the_lock():
    other = me(pid=222, host="jump-1", run="R1")
    message = lock.fleet_refusal(reads_with(lease_of(other)), "R2", NAME, NS, me=me())
    assert message.startswith("Another run holds the fleet lock: Lease skoala-system/skoala-upgrade-lock")
    assert "ops@jump-1 pid 222 run R1" in message and "-e skoala_lock_takeover=true" in message


def test_preflight_lets_a_free_lock_a_takeover_and_the_same_workflow_run_pass():
    other = me(pid=222, host="jump-1", run="R1")
    assert lock.fleet_refusal(reads_with(None), "R2", NAME, NS, me=me()) is None
    assert lock.fleet_refusal([], "R2", NAME, NS, me=me()) is None
    assert lock.fleet_refusal(reads_with(lease_of(other)), "R2", NAME, NS, takeover=True, me=me()) is None
    job = me(pid=333, host="awx-node-2", run="R1")
    shared = lock.lease_definition(other, NAME, NS, shared=True)
    assert lock.fleet_refusal(reads_with(shared), "R1", NAME, NS, shared=True, me=job) is None
    assert lock.fleet_refusal(reads_with(shared), "R9", NAME, NS, shared=True, me=me(run="R9")) is not None


def test_preflight_lets_a_lock_whose_time_to_live_ran_out_pass():
    other = me(pid=222, host="jump-1", run="R1")
    expired = lease_of(other, ttl=60, renewed=T0 - datetime.timedelta(hours=1))
    assert lock.fleet_refusal(reads_with(expired), "R2", NAME, NS, me=me()) is None
