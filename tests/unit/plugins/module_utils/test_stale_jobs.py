"""The delete_jobs step for a batch of clusters in one process: the named
Jobs deleted and waited for, a missing one left alone, check mode deleting
nothing, a cluster's problem its own result naming it and the fix, and the
requests built from preflight's plans the way upgrade_release would run the
step. The Kubernetes API is a small fake; tests/integration runs the module
against real API servers (every upgrade of skoala-init)."""
import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import stale_jobs
import test_cluster_read
from test_cluster_read import FakeApiException

kubeconfigs = test_cluster_read.kubeconfigs

JOBS = ["gateway-api-admission", "gateway-api-admission-patch"]


class FakeBatch:
    """Jobs by (namespace, name); a deleted Job lingers for ``linger`` reads
    (the API server answers before the object is gone)."""

    def __init__(self, jobs, linger=0, forbidden=False, down=False):
        self.jobs = dict(jobs)
        self.linger = linger
        self.forbidden = forbidden
        self.down = down
        self.deleted = []

    def read_namespaced_job(self, name, namespace, **_):
        if self.down:
            raise ConnectionError("connection refused")
        key = (namespace, name)
        if key not in self.jobs:
            raise FakeApiException(404, "Not Found")
        if self.jobs[key] == "deleting":
            if self.linger <= 0:
                del self.jobs[key]
                raise FakeApiException(404, "Not Found")
            self.linger -= 1
        return {"metadata": {"name": name}}

    def delete_namespaced_job(self, name, namespace, propagation_policy=None, **_):
        if self.forbidden:
            raise FakeApiException(403, "Forbidden")
        assert propagation_policy == "Background"
        self.deleted.append(name)
        self.jobs[(namespace, name)] = "deleting"


class FakeKube:
    KUBERNETES_IMPORT_ERROR = None
    ApiException = FakeApiException

    def __init__(self, batches):
        self.batches = batches
        outer = self

        class Client:
            @staticmethod
            def BatchV1Api(api):  # noqa: N802 - the kubernetes client's name
                return outer.batches[api]

        self.client = Client

    def api_client(self, path, context=None):
        return path


def request(path, name="w1", jobs=None):
    return {"cluster": name, "kubeconfig": path, "context": None, "namespace": "skoala-system",
            "jobs": JOBS if jobs is None else jobs}


def both(namespace="skoala-system"):
    return {(namespace, j): "present" for j in JOBS}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_deletes_the_jobs_and_waits_until_they_are_gone(kubeconfigs):
    path = kubeconfigs("w1")
    batch = FakeBatch(both(), linger=3)
    clock = Clock()
    out = stale_jobs.delete_cluster_jobs(request(path), FakeKube({path: batch}), sleep=clock.sleep, clock=clock)
    assert out == {"problem": None, "deleted": JOBS}
    assert batch.deleted == JOBS and batch.jobs == {}
    assert clock.now > 0  # it waited for the lingering Job


def test_a_missing_job_is_left_alone_and_none_is_no_change(kubeconfigs):
    path = kubeconfigs("w1")
    batch = FakeBatch({("skoala-system", JOBS[1]): "present"})
    out = stale_jobs.delete_cluster_jobs(request(path), FakeKube({path: batch}))
    assert out == {"problem": None, "deleted": [JOBS[1]]}
    batch = FakeBatch({})
    assert stale_jobs.delete_cluster_jobs(request(path), FakeKube({path: batch})) == {"problem": None, "deleted": []}
    assert batch.deleted == []


def test_jobs_of_another_namespace_are_not_touched(kubeconfigs):
    path = kubeconfigs("w1")
    batch = FakeBatch(both("other"))
    assert stale_jobs.delete_cluster_jobs(request(path), FakeKube({path: batch}))["deleted"] == []
    assert batch.deleted == []


def test_check_mode_says_what_would_go_and_deletes_nothing(kubeconfigs):
    path = kubeconfigs("w1")
    batch = FakeBatch(both())
    out = stale_jobs.delete_cluster_jobs(request(path), FakeKube({path: batch}), check_mode=True)
    assert out == {"problem": None, "deleted": JOBS}
    assert batch.deleted == [] and len(batch.jobs) == 2


def test_a_job_that_does_not_go_is_the_clusters_problem_with_the_fix(kubeconfigs):
    path = kubeconfigs("w1")
    clock = Clock()
    out = stale_jobs.delete_cluster_jobs(request(path), FakeKube({path: FakeBatch(both(), linger=10 ** 6)}),
                                         timeout=5, sleep=clock.sleep, clock=clock)
    assert out["problem"].startswith("w1: the Jobs gateway-api-admission, gateway-api-admission-patch in skoala-system "
                                     "were still there 5 s after they were deleted")
    assert "kubectl get job gateway-api-admission -n skoala-system" in out["problem"]
    assert "--kubeconfig %s" % path in out["problem"]


def test_forbidden_and_unreachable_name_the_cluster(kubeconfigs):
    path = kubeconfigs("w1")
    out = stale_jobs.delete_cluster_jobs(request(path), FakeKube({path: FakeBatch(both(), forbidden=True)}))
    assert out["problem"].startswith("w1: deleting the stale Jobs gateway-api-admission, gateway-api-admission-patch "
                                     "in skoala-system failed: 403 Forbidden")
    out = stale_jobs.delete_cluster_jobs(request(path), FakeKube({path: FakeBatch(both(), down=True)}))
    assert out["problem"].startswith("w1: cannot reach the API server https://w1:6443")
    assert "connection refused" in out["problem"] and "secret-token" not in out["problem"]


def test_a_bad_kubeconfig_is_the_clusters_problem(tmp_path):
    out = stale_jobs.delete_cluster_jobs(request(str(tmp_path / "missing.yaml")), FakeKube({}))
    assert out["problem"].startswith("w1: ") and "missing.yaml" in out["problem"]
    assert out["deleted"] == []


def test_the_fleet_in_one_call_each_cluster_its_own_result(kubeconfigs):
    p1, p2 = kubeconfigs("w1"), kubeconfigs("w2")
    kube = FakeKube({p1: FakeBatch(both()), p2: FakeBatch(both(), forbidden=True)})
    out = stale_jobs.delete_fleet_jobs([request(p1, "w1"), request(p2, "w2")], kube, max_workers=2)
    assert out["w1"] == {"problem": None, "deleted": JOBS}
    assert out["w2"]["problem"].startswith("w2: ") and out["w2"]["deleted"] == JOBS
    assert stale_jobs.delete_fleet_jobs([], kube) == {}


def plan(action="upgrade", steps=None, component="skoala-init"):
    return {"component": component, "release": component, "namespace": "skoala-system", "action": action,
            "steps": [{"name": "delete_jobs", "phase": "pre",
                       "params": {"jobs": JOBS, "namespace": "skoala-system"}}] if steps is None else steps}


def host(plans, kubeconfig="/k/w.yaml", context=""):
    return {"skoala_plans": plans,
            "skoala_preflight_request": {"read": {"kubeconfig": kubeconfig, "context": context}}}


@pytest.mark.parametrize("action, wanted", [
    ("upgrade", True), ("install", True), ("finish", True), ("none", False), ("refuse", False)])
def test_requests_for_the_clusters_whose_plan_runs_the_step(action, wanted):
    hostvars = {"w1": host([plan(action)], "/k/w1.yaml", "ctx")}
    expected = [{"cluster": "w1", "kubeconfig": "/k/w1.yaml", "context": "ctx", "namespace": "skoala-system",
                 "jobs": JOBS}]
    assert stale_jobs.requests_of(["w1"], hostvars, "skoala-init") == (expected if wanted else [])


def test_requests_leave_out_other_components_steps_after_the_chart_and_no_step():
    hostvars = {
        "skip": host([plan(steps=[])]),  # skoala_upgrade_steps_skip: delete_jobs, or a path without it
        "post": host([plan(steps=[{"name": "delete_jobs", "phase": "post",
                                   "params": {"jobs": JOBS, "namespace": "skoala-system"}}])]),
        "cp": host([plan(component="skoala", steps=[])]),
        "both": host([plan(component="skoala", steps=[]), plan()]),
        "none": {"skoala_plans": []},
    }
    out = stale_jobs.requests_of(list(hostvars), hostvars, "skoala-init")
    assert [r["cluster"] for r in out] == ["both"]
    assert out[0]["context"] is None


def test_result_of_finds_the_hosts_result_among_the_machines_runs():
    run = {"results": [{"clusters": {"w1": {"problem": None, "deleted": JOBS}}},
                       {"clusters": {"w2": {"problem": "w2: x", "deleted": []}}}]}
    assert stale_jobs.result_of(run, "w2") == {"problem": "w2: x", "deleted": []}
    assert stale_jobs.result_of(run, "w3") is None
    # The task skipped (the role used alone): no results.
    assert stale_jobs.result_of({"skipped": True, "results": [{"skipped": True}]}, "w1") is None
    assert stale_jobs.result_of({}, "w1") is None


def test_two_steps_in_one_namespace_one_request_in_two_namespaces_none():
    step = {"name": "delete_jobs", "phase": "pre", "params": {"jobs": ["a", "b"], "namespace": "skoala-system"}}
    same = dict(step, params={"jobs": ["b", "c"], "namespace": "skoala-system"})
    other = dict(step, params={"jobs": ["d"], "namespace": "other"})
    hostvars = {"w1": host([plan(steps=[step, same])]), "w2": host([plan(steps=[step, other])])}
    out = stale_jobs.requests_of(["w1", "w2"], hostvars, "skoala-init")
    # w2's steps run one by one, as when the role is used alone.
    assert [(r["cluster"], r["jobs"]) for r in out] == [("w1", ["a", "b", "c"])]
