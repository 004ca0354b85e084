"""DbUpgrade's decisions (create, skip, re-create, record, report), against a
small fake Kubernetes API: no cluster."""
import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import jobs, secrets
from ansible_collections.dce5.skoala.plugins.module_utils.db_job import DbUpgrade

PASSWORD = "s3cr@t:&=%"
DSN = "skoala:%s@tcp(mysql:3306)/skoala" % PASSWORD
COMPLETE = {"status": {"conditions": [{"type": "Complete", "status": "True"}]}}
FAILED = {"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                                     "message": "dsn %s refused" % DSN}]}}


class FakeKube(object):
    """The Kube methods DbUpgrade calls; objects by (kind, name)."""

    def __init__(self, objects=None, job_after_create=None, logs="log"):
        self.objects = dict(objects or {})
        self.calls = []
        self.job_after_create = job_after_create
        self.logs = logs

    def read(self, kind, name, namespace):
        return self.objects.get((kind, name))

    def create(self, obj):
        self.calls.append(("create", obj["kind"]))
        self.objects[(obj["kind"], obj["metadata"]["name"])] = dict(obj, **(self.job_after_create or {}))
        return obj

    def replace_or_create(self, obj):
        self.calls.append(("apply", obj["kind"], obj["metadata"]["name"]))
        self.objects[(obj["kind"], obj["metadata"]["name"])] = obj

    def delete(self, kind, name, namespace):
        self.calls.append(("delete", kind))
        self.objects.pop((kind, name), None)

    def set_owner(self, kind, name, namespace, owner):
        self.calls.append(("own", kind))

    def job_pods(self, job_name, namespace):
        return [{"metadata": {"name": "p1"}, "status": {"phase": "Failed"}}]

    def pod_log_tail(self, pod, namespace):
        return self.logs

    def ensure_namespace(self, namespace):
        self.calls.append(("namespace", namespace))


def params(**kw):
    p = {k: v.get("default") for k, v in jobs.ARGUMENT_SPEC.items()}
    p["sweet"] = {}
    p["database"] = {"driver": "mysql", "dsn": DSN}
    p.update(kw)
    return p


def runner(kube, check_mode=False, **kw):
    return DbUpgrade(params(**kw), kube, check_mode=check_mode, sleep=lambda s: None)


def record(run):
    return {"data": {"sweet": run.key, "state": "complete"}}


def test_needs_a_database_or_a_manifest():
    with pytest.raises(ValueError, match="database .* is required unless job_manifest"):
        DbUpgrade(params(database=None), FakeKube())


def test_bad_dsn_is_a_dsn_error():
    with pytest.raises(secrets.DsnError):
        DbUpgrade(params(database={"driver": "mysql", "dsn": "nope"}), FakeKube())


def test_creates_configmap_secret_and_job_and_records_completion():
    kube = FakeKube(job_after_create=COMPLETE)
    run = runner(kube)
    result = run.run()
    assert result["changed"] is True and result["state"] == "complete"
    assert ("create", "Job") in kube.calls and ("own", "Secret") in kube.calls and ("own", "ConfigMap") in kube.calls
    assert kube.objects[("ConfigMap", run.record_name)]["data"]["state"] == "complete"
    assert ("delete", "Job") in kube.calls  # cleanup delete_on_success
    assert PASSWORD not in repr(result["objects"]) and PASSWORD not in repr(result["diff"])


def test_already_recorded_changes_nothing():
    kube = FakeKube()
    run = runner(kube)
    kube.objects[("ConfigMap", run.record_name)] = record(run)
    assert run.run() == dict(job={"name": run.job_name, "namespace": "skoala-system"}, sweet=run.sweet,
                             changed=False, state="complete")
    assert kube.calls == []


def test_record_of_another_sweet_setting_does_not_count():
    kube = FakeKube(job_after_create=COMPLETE)
    run = runner(kube)
    kube.objects[("ConfigMap", run.record_name)] = {"data": {"sweet": "other", "state": "complete"}}
    assert run.run()["changed"] is True


def test_check_mode_creates_nothing_and_shows_masked_objects():
    kube = FakeKube()
    result = runner(kube, check_mode=True).run()
    assert result["changed"] is True and result["state"] == "absent" and result["objects"]
    assert PASSWORD not in repr(result)
    assert kube.calls == []


def test_failed_job_is_replaced_and_failure_is_masked():
    kube = FakeKube(job_after_create=FAILED, logs="connect %s: denied" % DSN)
    run = runner(kube)
    kube.objects[("Job", run.job_name)] = dict(FAILED)
    # the old Job is deleted, then created again
    result = run.run()
    assert kube.calls.index(("delete", "Job")) < kube.calls.index(("create", "Job"))
    assert result["state"] == "failed"
    assert PASSWORD not in repr(result["details"]) and PASSWORD not in repr(result["logs"])
    assert "BackoffLimitExceeded" in result["details"][0] and "********" in result["logs"]["p1"]


def test_no_wait_returns_running():
    kube = FakeKube()
    result = runner(kube, wait=False).run()
    assert result["state"] == "running" and result["changed"] is True


def test_timeout_reports_running_with_details():
    clock = iter(range(0, 10000, 100))
    kube = FakeKube(job_after_create={"status": {}})
    run = DbUpgrade(params(wait_timeout=250), kube, sleep=lambda s: None, now=lambda: next(clock))
    result = run.run()
    assert result["timed_out"] is True and result["state"] == "running"


def test_status_of_absent_job_with_and_without_record():
    kube = FakeKube()
    run = runner(kube, state="status")
    assert run.run()["state"] == "absent"
    kube.objects[("ConfigMap", run.record_name)] = record(run)
    assert run.run()["state"] == "complete"
