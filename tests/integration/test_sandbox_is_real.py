"""The test environment is real: API servers, Helm, an authenticated chart
repository, pods that become Ready, Jobs that complete, faults that fail."""
import base64
import json
import time
import urllib.error
import urllib.request

import pytest


def pods_ready(fleet, cluster, namespace="skoala-system", label=None):
    """(Ready, all) of the pods meant to run: a finished Job's pod is neither."""
    pods = [p for p in fleet.objects(cluster, "pods", namespace) if p["status"].get("phase") != "Succeeded"]
    if label:
        pods = [p for p in pods if label in p["metadata"].get("labels", {})]
    ready = [p for p in pods if any(c["type"] == "Ready" and c["status"] == "True"
                                    for c in p["status"].get("conditions", []))]
    return len(ready), len(pods)


def test_every_cluster_has_a_real_api_server_and_a_kwok_node(sandbox):
    for cluster in sandbox.clusters:
        version = json.loads(sandbox.kubectl(cluster, "version", "-o", "json").stdout)
        assert version["serverVersion"]["gitVersion"].startswith("v1.")
        nodes = json.loads(sandbox.kubectl(cluster, "get", "nodes", "-o", "json").stdout)["items"]
        assert len(nodes) >= 1
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in nodes[0]["status"]["conditions"])


def test_baseline_installed_from_the_repo_and_pods_ready(fleet):
    for cluster in fleet.clusters:
        release = fleet.release(cluster)
        assert release["status"] == "deployed"
        assert release["chart"] == "%s-0.19.2" % fleet.component(cluster)
        ready, total = pods_ready(fleet, cluster)
        assert total >= 3 and ready == total


def test_baseline_values_hold_a_dsn_with_a_password(fleet):
    values = fleet.values(fleet.control_plane)
    dsn = values["hive"]["configMap"]["database"][0]["dsn"]
    assert fleet.box.state["db_password"] in dsn and "@" in fleet.box.state["db_password"]
    assert values["hive"]["replicas"] == 2


def test_mysql_statefulset_ready(sandbox):
    sts = json.loads(sandbox.kubectl(sandbox.control_plane, "get", "statefulset", "-n", "mcamel-system",
                                     "mcamel-common-mysql-cluster-mysql", "-o", "json").stdout)
    assert sts["status"].get("readyReplicas") == sts["spec"]["replicas"] == 2


def test_job_pods_complete(sandbox):
    cluster = sandbox.workers[0]
    sandbox.kubectl(cluster, "delete", "job", "sandbox-probe", "-n", "default", "--ignore-not-found")
    sandbox.kubectl(cluster, "apply", "-f", "-", input=JOB % {"name": "sandbox-probe", "labels": "{}"})
    done = sandbox.kubectl(cluster, "wait", "--for=condition=complete", "job/sandbox-probe", "-n", "default",
                           "--timeout=60s", check=False)
    assert done.returncode == 0, done.stderr
    # As a kubelet leaves a finished pod: Succeeded, and no longer Ready.
    pods = json.loads(sandbox.kubectl(cluster, "get", "pods", "-n", "default", "-l",
                                      "batch.kubernetes.io/job-name=sandbox-probe", "-o", "json").stdout)["items"]
    assert [p["status"]["phase"] for p in pods] == ["Succeeded"]
    conditions = {c["type"]: (c["status"], c.get("reason")) for c in pods[0]["status"]["conditions"]}
    assert conditions["Ready"] == conditions["ContainersReady"] == ("False", "PodCompleted"), conditions
    sandbox.kubectl(cluster, "delete", "job", "sandbox-probe", "-n", "default")


def test_failing_job_fails(sandbox):
    cluster = sandbox.workers[0]
    manifest = JOB % {"name": "sandbox-fail-probe", "labels": "{dce5-sandbox-fault: job-fail}"}
    sandbox.kubectl(cluster, "delete", "job", "sandbox-fail-probe", "-n", "default", "--ignore-not-found")
    sandbox.kubectl(cluster, "apply", "-f", "-", input=manifest)
    failed = sandbox.kubectl(cluster, "wait", "--for=condition=failed", "job/sandbox-fail-probe", "-n", "default",
                             "--timeout=60s", check=False)
    assert failed.returncode == 0, failed.stderr
    sandbox.kubectl(cluster, "delete", "job", "sandbox-fail-probe", "-n", "default")


JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {name: %(name)s, namespace: default}
spec:
  backoffLimit: 0
  template:
    metadata:
      labels: %(labels)s
    spec:
      restartPolicy: Never
      containers: [{name: probe, image: busybox:1.36}]
      tolerations: [{key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}]
"""


def test_faulty_chart_version_fails_helm_wait_within_timeout(sandbox):
    cluster = sandbox.workers[-1]
    started = time.time()
    res = sandbox.helm(cluster, "upgrade", "--install", "fault-probe", "sandbox/skoala-init",
                       "--version", "0.29.0-never-ready", "-n", "fault-probe", "--create-namespace",
                       "--wait", "--timeout", "15s", check=False)
    elapsed = time.time() - started
    try:
        assert res.returncode != 0
        assert "context deadline exceeded" in res.stderr or "timed out" in res.stderr
        assert elapsed < 60
        ready, total = pods_ready(sandbox, cluster, "fault-probe", label="dce5-sandbox-fault")
        assert total >= 4 and ready == 0
    finally:
        sandbox.helm(cluster, "uninstall", "fault-probe", "-n", "fault-probe", check=False)
        sandbox.kubectl(cluster, "delete", "namespace", "fault-probe", "--wait=false", check=False)


def fetch_index(url, user, password):
    req = urllib.request.Request(url + "/index.yaml")
    if user is not None:
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        req.add_header("Authorization", "Basic " + token)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.read().decode()


def test_repo_serves_every_fixture_version_with_auth(sandbox):
    status, body = fetch_index(sandbox.box.repo_url, "admin", sandbox.box.state["repo_password"])
    assert status == 200
    for version in ("0.17.1", "0.19.2", "0.28.1", "0.35.1", "0.57.0", "0.29.0-never-ready"):
        assert "version: %s" % version in body


@pytest.mark.parametrize("user, password", [("admin", "wrong"), (None, None), ("nobody", "x")])
def test_repo_refuses_wrong_credentials(sandbox, user, password):
    with pytest.raises(urllib.error.HTTPError) as err:
        fetch_index(sandbox.box.repo_url, user, password)
    assert err.value.code == 401


def test_helm_repo_add_with_wrong_password_is_refused(sandbox):
    res = sandbox.box.run(sandbox.box.bin + "/helm", "repo", "add", "wrong-pass", sandbox.box.repo_url,
                          "--username", "admin", "--password-stdin", input="wrong", capture=True, check=False)
    assert res.returncode != 0
    assert "401" in res.stderr
