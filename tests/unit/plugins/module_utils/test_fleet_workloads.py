"""verify's wait for a batch of clusters: each cluster's readiness read in
one process, image checks once ready, a cluster's problem its own result,
the requests built from preflight's plans for the clusters verify checks,
and wait_ready's words for progress and failures. The Kubernetes API is a
small fake; tests/integration runs fleet_wait_ready against real API
servers (test_upgrade.py, and every upgrade of the workers)."""
import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import fleet_workloads
import test_cluster_read
from test_cluster_read import FakeApiException

kubeconfigs = test_cluster_read.kubeconfigs


def deployment(name, ready=1, wanted=1, image="r/skoala/%s:v0.28.1"):
    return {"metadata": {"name": name, "generation": 1},
            "spec": {"replicas": wanted, "template": {"spec": {"containers": [{"image": image % name}]}}},
            "status": {"observedGeneration": 1, "replicas": wanted, "updatedReplicas": wanted,
                       "availableReplicas": ready, "readyReplicas": ready}}


class FakeApps:
    def __init__(self, deployments=(), statefulsets=(), error=None):
        self.lists = {"list_namespaced_deployment": list(deployments),
                      "list_namespaced_stateful_set": list(statefulsets)}
        self.error = error
        self.namespaces = []

    def __getattr__(self, name):
        def list_items(namespace, **_):
            if self.error:
                raise self.error
            self.namespaces.append(namespace)
            return {"items": [dict(o) for o in self.lists[name]]}
        return list_items


class FakeApi:
    @staticmethod
    def sanitize_for_serialization(obj):
        return obj


class FakeKube:
    KUBERNETES_IMPORT_ERROR = None
    ApiException = FakeApiException

    def __init__(self, apps_by_path):
        outer = self
        self.apps_by_path = apps_by_path

        class Client:
            @staticmethod
            def AppsV1Api(api):  # noqa: N802 - the kubernetes client's name
                return outer.apps_by_path[api.path]

        self.client = Client

    def api_client(self, path, context=None):
        api = FakeApi()
        api.path = path
        return api


def request(name, path, **kw):
    return dict({"cluster": name, "kubeconfig": path, "context": None, "namespace": "skoala-system",
                 "expected_images": {}}, **kw)


def test_a_ready_cluster_with_the_expected_images(kubeconfigs, tmp_path):
    path = kubeconfigs("w1")
    apps = FakeApps([deployment("skoala-agent"), deployment("hive")])
    state = fleet_workloads.cluster_workloads(
        request("w1", path, expected_images={"skoala-agent": "v0.28.1"}), FakeKube({path: apps}), ["Deployment"])
    assert state["problem"] is None and state["done"] is True
    assert (state["ready"], state["total"], state["waiting"]) == (2, 2, [])
    assert state["images"]["Deployment/hive"] == ["r/skoala/hive:v0.28.1"]
    assert state["image_mismatches"] == []
    assert apps.namespaces == ["skoala-system"]


def test_images_are_checked_only_once_every_workload_is_ready(kubeconfigs, tmp_path):
    path = kubeconfigs("w1")
    wrong = {"skoala-agent": "v9.9.9"}
    waiting = fleet_workloads.cluster_workloads(
        request("w1", path, expected_images=wrong),
        FakeKube({path: FakeApps([deployment("skoala-agent"), deployment("hive", ready=0)])}), ["Deployment"])
    assert waiting["done"] is False and waiting["image_mismatches"] == []
    assert waiting["waiting"] == ["Deployment/hive (0/1 available)"]
    done = fleet_workloads.cluster_workloads(
        request("w1", path, expected_images=wrong), FakeKube({path: FakeApps([deployment("skoala-agent")])}),
        ["Deployment"])
    assert done["image_mismatches"] == ["skoala-agent: runs r/skoala/skoala-agent:v0.28.1, expected v9.9.9"]


def test_problems_name_the_cluster(kubeconfigs, tmp_path):
    path = kubeconfigs("w1")
    forbidden = fleet_workloads.cluster_workloads(
        request("w1", path), FakeKube({path: FakeApps(error=FakeApiException(403, "Forbidden"))}), ["Deployment"])
    assert forbidden["problem"] == "w1: listing workloads in skoala-system failed: 403 Forbidden"
    down = fleet_workloads.cluster_workloads(
        request("w1", path), FakeKube({path: FakeApps(error=ConnectionError("refused"))}), ["Deployment"])
    assert down["problem"].startswith("w1: cannot reach the API server https://w1:6443")
    missing = fleet_workloads.cluster_workloads(
        request("w2", str(tmp_path / "none.yaml")), FakeKube({}), ["Deployment"])
    assert missing["problem"].startswith("w2: ") and "none.yaml" in missing["problem"]


def test_fleet_reads_every_cluster(kubeconfigs, tmp_path):
    write = kubeconfigs
    paths = [write("w%d" % i) for i in range(5)]
    kube = FakeKube(dict((p, FakeApps([deployment("a")])) for p in paths))
    states = fleet_workloads.fleet([request("w%d" % i, p) for i, p in enumerate(paths)], kube, ["Deployment"],
                                   max_workers=2)
    assert sorted(states) == ["w0", "w1", "w2", "w3", "w4"]
    assert all(s["done"] for s in states.values())


def plan(component="skoala-init", action="upgrade", namespace="skoala-system"):
    return {"component": component, "action": action, "release": component, "namespace": namespace,
            "image_tags": {"skoala-agent.image.tag": "v0.28.1"}}


def host_vars(*plans, kubeconfig="/k/w.yaml", context=""):
    return {"skoala_plans": list(plans),
            "skoala_preflight_request": {"read": {"kubeconfig": kubeconfig, "context": context}}}


def test_verify_requests_cover_the_clusters_verify_checks():
    hostvars = {
        "w1": host_vars(plan(), kubeconfig="/k/w1.yaml", context="c1"),
        "w2": host_vars(plan(action="finish"), kubeconfig="/k/w2.yaml"),
        "w3": host_vars(plan(action="none")),
        "w4": host_vars(plan(component="skoala")),
        "w5": host_vars(),
    }
    requests = fleet_workloads.verify_requests(["w1", "w2", "w3", "w4", "w5"], hostvars, "skoala-init")
    assert requests == [
        {"cluster": "w1", "kubeconfig": "/k/w1.yaml", "context": "c1", "namespace": "skoala-system",
         "expected_images": {"skoala-agent": "v0.28.1"}, "label": "skoala-init workloads in skoala-system"},
        {"cluster": "w2", "kubeconfig": "/k/w2.yaml", "context": None, "namespace": "skoala-system",
         "expected_images": {"skoala-agent": "v0.28.1"}, "label": "skoala-init workloads in skoala-system"},
    ]


def test_progress_line_is_wait_readys():
    state = {"ready": 1, "total": 2, "waiting": ["Deployment/hive (0/1 available)"]}
    assert fleet_workloads.progress_line("w1", "skoala-init workloads in skoala-system", state) == (
        "[w1] skoala-init workloads in skoala-system: 1/2 ready, waiting for Deployment/hive (0/1 available)")
    assert fleet_workloads.progress_line("w1", "x", {"ready": 2, "total": 2, "waiting": []}) == "[w1] x: 2/2 ready"


@pytest.mark.parametrize("state, timed_out, failed, msg", [
    ({"ready": 2, "total": 2, "waiting": [], "image_mismatches": []}, False, False, ""),
    ({"problem": "w1: cannot reach"}, False, True, "w1: cannot reach"),
    ({"ready": 1, "total": 2, "waiting": ["Deployment/hive (0/1 available)"]}, True, True,
     "w1: L not ready after 600s: Deployment/hive (0/1 available)"),
    ({"ready": 2, "total": 2, "waiting": [], "image_mismatches": ["hive: runs a:1, expected v2"]}, False, True,
     "w1: L ready but running unexpected images: hive: runs a:1, expected v2"),
])
def test_outcome_in_wait_readys_words(state, timed_out, failed, msg):
    result = fleet_workloads.outcome("w1", "L", state, 600, 12.34, timed_out=timed_out)
    assert (result["failed"], result["msg"]) == (failed, msg)
    assert result["elapsed"] == 12.3


def test_result_of_finds_the_host_in_any_machines_run():
    run = {"results": [{"clusters": {"w1": {"failed": False}}}, {"clusters": {"w2": {"failed": True}}}]}
    assert fleet_workloads.result_of(run, "w2") == {"failed": True}
    assert fleet_workloads.result_of(run, "w3") is None
    assert fleet_workloads.result_of({"skipped": True}, "w1") is None
    assert fleet_workloads.result_of(None, "w1") is None
