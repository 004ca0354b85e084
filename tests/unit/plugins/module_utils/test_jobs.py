import json

import pytest
import yaml

from ansible_collections.dce5.skoala.plugins.module_utils import jobs

HOST = "tcp(mcamel-common-mysql-cluster-mysql-master.mcamel-system.svc.cluster.local:3306)"


def objects(**kw):
    args = dict(name="skoala-db-upgrade", namespace="skoala-system", sweet=None,
                database={"driver": "mysql", "dsn": "skoala:s3cr@t:&=%@" + HOST + "/skoala"},
                image="release.daocloud.io/skoala/sweet:v0.19.0")
    args.update(kw)
    return jobs.build_objects(**args)


def test_objects_carry_the_vendor_sweet_values():
    objs = objects()
    sweet = yaml.safe_load(objs["configmap"]["data"]["sweet.yaml"])
    assert sweet == {"sweet": {"type": "UPGRADE", "target": "0.17.0", "tag": "v0.19.0"}}


def test_dsn_only_in_the_secret():
    objs = objects()
    secret_text = json.dumps(objs["secret"])
    assert "s3cr@t:&=%" in secret_text
    for kind in ("job", "configmap"):
        assert "s3cr@t" not in json.dumps(objs[kind])
    container = objs["job"]["spec"]["template"]["spec"]["containers"][0]
    assert "env" not in container and "envFrom" not in container
    volumes = objs["job"]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "database", "secret": {"secretName": "skoala-db-upgrade-database"}} in volumes
    db = yaml.safe_load(objs["secret"]["stringData"]["database.yaml"])
    assert db["database"][0]["dsn"] == "skoala:s3cr@t:&=%@" + HOST + "/skoala"


def test_objects_are_labelled_by_sweet_settings():
    a = objects()["job"]["metadata"]["labels"]
    b = objects(sweet={"tag": "v0.20.0"})["job"]["metadata"]["labels"]
    assert a["app.kubernetes.io/managed-by"] == "dce5.skoala"
    assert a[jobs.LABEL_SWEET] != b[jobs.LABEL_SWEET]
    assert objects()["job"]["metadata"]["labels"][jobs.LABEL_SWEET] == a[jobs.LABEL_SWEET]


def test_ttl_backoff_and_pod_labels():
    job = objects(ttl_seconds=60, backoff_limit=2, pod_labels={"x": "y"})["job"]
    assert job["spec"]["ttlSecondsAfterFinished"] == 60
    assert job["spec"]["backoffLimit"] == 2
    assert job["spec"]["template"]["metadata"]["labels"]["x"] == "y"
    assert "ttlSecondsAfterFinished" not in objects()["job"]["spec"]


def test_masked_hides_secret_values_only():
    objs = objects()
    m = jobs.masked(objs)
    assert m["secret"]["stringData"] == {"database.yaml": "********"}
    assert m["job"] == objs["job"]
    assert "s3cr@t" in json.dumps(objs["secret"])  # original untouched


@pytest.mark.parametrize("repo, tag, registry, expected", [
    ("release.daocloud.io/skoala/sweet", "v0.19.0", None, "release.daocloud.io/skoala/sweet:v0.19.0"),
    ("release.daocloud.io/skoala/sweet", "v0.19.0", "127.0.0.1:5000", "127.0.0.1:5000/skoala/sweet:v0.19.0"),
    ("skoala/sweet", "v1", "harbor.local/", "harbor.local/skoala/sweet:v1"),
    ("localhost/skoala/sweet", "v1", "reg:5000", "reg:5000/skoala/sweet:v1"),
])
def test_image_ref(repo, tag, registry, expected):
    assert jobs.image_ref(repo, tag, registry) == expected


VENDOR_JOB = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: sweet-config}
data:
  config.yaml: |
    sweet:
      type: INIT
      target: 0.0.0
      tag: v0.0.0
    other: keep-me
---
apiVersion: batch/v1
kind: Job
metadata: {name: sweet-upgrade, labels: {a: b}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: sweet, image: release.daocloud.io/skoala/sweet:v0.19.0}]
"""


def test_patch_user_manifest_sets_sweet_inside_configmap_and_nothing_else():
    docs = jobs.patch_user_manifest(VENDOR_JOB, None)
    original = list(yaml.safe_load_all(VENDOR_JOB))
    inner = yaml.safe_load(docs[0]["data"]["config.yaml"])
    assert inner == {"sweet": {"type": "UPGRADE", "target": "0.17.0", "tag": "v0.19.0"}, "other": "keep-me"}
    assert docs[1] == original[1]
    assert docs[0]["metadata"] == original[0]["metadata"]


def test_patch_user_manifest_top_level_sweet_block():
    text = "kind: Job\napiVersion: batch/v1\nmetadata: {name: j}\nspec:\n  sweet: {type: X}\n"
    docs = jobs.patch_user_manifest(text, {"tag": "v0.19.0"})
    assert docs[0]["spec"]["sweet"] == {"type": "UPGRADE", "target": "0.17.0", "tag": "v0.19.0"}


def test_patch_user_manifest_needs_sweet_and_job():
    with pytest.raises(ValueError, match="no sweet block"):
        jobs.patch_user_manifest("kind: Job\nmetadata: {name: j}\n", None)
    with pytest.raises(ValueError, match="no Job"):
        jobs.patch_user_manifest("kind: ConfigMap\ndata: {a: 'sweet: {}'}\n", None)


@pytest.mark.parametrize("conditions, state", [
    ([], "running"),
    ([{"type": "Complete", "status": "True"}], "complete"),
    ([{"type": "SuccessCriteriaMet", "status": "True"}], "complete"),
    ([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}], "failed"),
    ([{"type": "FailureTarget", "status": "True"}], "failed"),
    ([{"type": "Complete", "status": "False"}], "running"),
])
def test_job_state(conditions, state):
    assert jobs.job_state({"status": {"conditions": conditions}}) == state


def test_job_state_absent():
    assert jobs.job_state(None) == "absent"


def test_describe_conditions_and_pods():
    job = {"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                                      "message": "Job has reached the specified backoff limit"}]}}
    pods = [{"metadata": {"name": "p1"}, "status": {"phase": "Failed", "containerStatuses": [
        {"name": "sweet", "state": {"terminated": {"reason": "Error", "exitCode": 1}}}]}}]
    lines = jobs.describe(job, pods)
    assert lines[0] == "condition Failed=True BackoffLimitExceeded: Job has reached the specified backoff limit"
    assert lines[1] == "pod p1: Failed (sweet terminated Error)"


def test_references_name_each_job_in_the_namespace_once():
    refs = jobs.references(["gateway-api-admission", "gateway-api-admission-patch"], "skoala-system")
    assert refs == [
        {"apiVersion": "batch/v1", "kind": "Job",
         "metadata": {"name": "gateway-api-admission", "namespace": "skoala-system"}},
        {"apiVersion": "batch/v1", "kind": "Job",
         "metadata": {"name": "gateway-api-admission-patch", "namespace": "skoala-system"}},
    ]
    assert jobs.references([], "skoala-system") == []
