import json

import pytest
import yaml

from ansible_collections.dce5.skoala.plugins.module_utils import jobs

HOST = "tcp(mcamel-common-mysql-cluster-mysql-master.mcamel-system.svc.cluster.local:3306)"


@pytest.mark.parametrize("password", [
    "plain", "p@ss", "p:ss", "p&ss=1", "p%40ss", "a@b:c&d=e%f", "@:&=%", "ends-with-@", "x/y", "",
])
def test_parse_dsn_passwords_with_special_characters(password):
    dsn = "skoala:%s@%s/skoala?charset=utf8&parseTime=true&loc=Local&timeout=10s" % (password, HOST)
    parts = jobs.parse_dsn(dsn)
    assert parts["user"] == "skoala"
    assert parts["password"] == password
    assert parts["net"] == "tcp"
    assert parts["address"] == "mcamel-common-mysql-cluster-mysql-master.mcamel-system.svc.cluster.local:3306"
    assert parts["database"] == "skoala"
    assert parts["params"] == "charset=utf8&parseTime=true&loc=Local&timeout=10s"


def test_parse_dsn_without_credentials_or_params():
    assert jobs.parse_dsn("tcp(db:3306)/skoala") == {
        "user": "", "password": "", "net": "tcp", "address": "db:3306", "database": "skoala", "params": ""}
    assert jobs.parse_dsn("/skoala")["database"] == "skoala"


@pytest.mark.parametrize("bad", ["", None, "no-slash-here"])
def test_parse_dsn_rejects_garbage(bad):
    with pytest.raises(jobs.DsnError):
        jobs.parse_dsn(bad)


def test_mask_dsn():
    dsn = "skoala:p@ss:w&rd=%x@" + HOST + "/skoala?charset=utf8"
    masked = jobs.mask_dsn(dsn)
    assert "p@ss" not in masked and "w&rd" not in masked
    assert masked.startswith("skoala:********@tcp(")
    assert jobs.mask_dsn("garbage") == "********"


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


def test_redact_all_longest_first():
    dsn = "u:pw@tcp(h)/d"
    assert jobs.redact_all("dsn=%s password=pw" % dsn, [dsn, "pw"]) == "dsn=******** password=********"
    assert jobs.redact_all(None, ["x"]) == ""
