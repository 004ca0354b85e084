import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import workloads as w


def dep(name, replicas=1, ready=1, updated=None, available=None, total=None, generation=2, observed=2,
        image="r/skoala/%s:v0.28.1"):
    return {"kind": "Deployment", "metadata": {"name": name, "generation": generation},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"image": image % name}]}}},
            "status": {"observedGeneration": observed, "readyReplicas": ready,
                       "updatedReplicas": replicas if updated is None else updated,
                       "availableReplicas": ready if available is None else available,
                       "replicas": replicas if total is None else total}}


def sts(name, replicas=2, ready=2, current="a", update="a"):
    return {"kind": "StatefulSet", "metadata": {"name": name, "generation": 1},
            "spec": {"replicas": replicas},
            "status": {"observedGeneration": 1, "readyReplicas": ready, "updatedReplicas": ready,
                       "currentRevision": current, "updateRevision": update}}


@pytest.mark.parametrize("obj, ok, why", [
    (dep("hive"), True, "1/1 available"),
    (dep("hive", replicas=2, ready=1), False, "1/2 available"),
    (dep("hive", updated=0), False, "0/1 updated"),
    (dep("hive", observed=1), False, "spec not yet observed"),
    (dep("hive", total=2), False, "old replicas terminating"),
    (dep("hive", replicas=0, ready=0), True, "0/0 available"),
    (sts("mysql"), True, "2/2 ready"),
    (sts("mysql", ready=1), False, "1/2 ready"),
])
def test_workload_ready(obj, ok, why):
    assert w.workload_ready(obj) == (ok, why)


def test_missing_status_is_not_ready():
    assert w.workload_ready({"kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicas": 1}})[0] is False


def test_readiness_summary():
    state = w.readiness([dep("hive"), dep("sesame", replicas=2, ready=0), sts("db")])
    assert state == {"total": 3, "ready": 2, "waiting": ["Deployment/sesame (0/2 available)"], "done": False}
    assert w.readiness([])["done"] is True


def test_images_and_mismatches():
    objs = [dep("hive"), dep("skoala-ui", image="r/skoala/%s:v0.19.0")]
    assert w.images(objs)["Deployment/hive"] == ["r/skoala/hive:v0.28.1"]
    assert w.image_mismatches(objs, {"hive": "v0.28.1", "skoala-ui": "v0.19.0"}) == []
    assert w.image_mismatches(objs, {"hive": "v0.19.2"}) == ["hive: runs r/skoala/hive:v0.28.1, expected v0.19.2"]
    assert w.image_mismatches(objs, {"sesame": "v1"}) == ["sesame: workload not found"]
    assert w.image_mismatches(objs, {"hive": "r/skoala/hive:v0.28.1"}) == []
    assert w.image_mismatches([dep("x", image="reg:5000/%s")], {"x": "v1"}) == ["x: runs reg:5000/x, expected v1"]


def test_unready_pods():
    pods = [
        {"metadata": {"name": "hive-1"}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
        {"metadata": {"name": "sesame-1"}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}},
        {"metadata": {"name": "ui-1"}, "status": {"phase": "Pending"}},
    ]
    assert w.unready_pods(pods) == ["sesame-1 (Running)", "ui-1 (Pending)"]


def test_unready_pods_leaves_out_finished_job_pods():
    # skoala-init's admission Jobs leave Completed pods in skoala-system; on
    # a global cluster that also runs skoala-init they sit beside hive.
    # Completed is how such a pod ends well; Failed is worth a warning.
    pods = [
        {"metadata": {"name": "gateway-api-admission-x"}, "status": {"phase": "Succeeded", "conditions": [
            {"type": "Ready", "status": "False", "reason": "PodCompleted"}]}},
        {"metadata": {"name": "gateway-api-admission-patch-y"}, "status": {"phase": "Failed"}},
        {"metadata": {"name": "hive-1"}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
    ]
    assert w.unready_pods(pods) == ["gateway-api-admission-patch-y (Failed)"]


@pytest.mark.parametrize("sts, expected", [
    ({"spec": {"replicas": 3}, "status": {"readyReplicas": 3}}, {"found": True, "ready": 3, "replicas": 3}),
    ({"spec": {"replicas": 3}, "status": {}}, {"found": True, "ready": 0, "replicas": 3}),
    ({"spec": {}, "status": {"readyReplicas": 1}}, {"found": True, "ready": 1, "replicas": 1}),
    ({}, {"found": True, "ready": 0, "replicas": 1}),
])
def test_statefulset_readiness(sts, expected):
    assert w.statefulset_readiness(sts) == expected
