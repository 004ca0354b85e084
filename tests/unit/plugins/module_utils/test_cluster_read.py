"""Reading clusters for preflight: Helm's release Secrets decoded as
`helm get values --all` computes them, problems as results, many clusters at
once. The Kubernetes API is replaced by a small fake here; the modules run
against real API servers in tests/integration."""
import base64
import gzip
import json
import os
import threading
import time

import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import cluster_read, releases


def helm_secret(release, revision, chart_version, status="deployed", defaults=None, config=None):
    record = {"name": release, "version": revision,
              "info": {"status": status, "last_deployed": "2026-12-04T22:0%d:00.5Z" % revision},
              "chart": {"metadata": {"name": release, "version": chart_version, "appVersion": chart_version},
                        "values": defaults or {}},
              "config": config or {}}
    payload = base64.b64encode(gzip.compress(json.dumps(record).encode())).decode()
    return {"metadata": {"name": "sh.helm.release.v1.%s.v%d" % (release, revision),
                         "labels": {"owner": "helm", "name": release, "version": str(revision), "status": status}},
            "data": {"release": base64.b64encode(payload.encode()).decode()}}


def test_coalesce_values_as_helm_get_values_all():
    defaults = {"hive": {"image": {"tag": "v0.19.2", "repository": "skoala/hive"}, "replicas": 1}, "debug": True}
    config = {"hive": {"image": {"tag": "v0.28.1"}}, "debug": None, "extra": [1]}
    assert releases.coalesce_values(defaults, config) == {
        "hive": {"image": {"tag": "v0.28.1", "repository": "skoala/hive"}, "replicas": 1}, "extra": [1]}
    assert defaults["hive"]["image"]["tag"] == "v0.19.2"  # inputs untouched


def test_latest_release_is_the_newest_revision_whatever_its_state():
    secrets = [helm_secret("skoala", 1, "0.19.2", "superseded", {"hive": {"image": {"tag": "v0.19.2"}}}),
               helm_secret("skoala", 3, "0.28.1", "failed", {"hive": {"image": {"tag": "v0.28.1"}}},
                           {"hive": {"image": {"tag": "v0.28.1-fix"}}}),
               helm_secret("skoala", 2, "0.19.2", "deployed")]
    found = releases.latest_release(secrets)
    assert found["status"]["chart"] == "skoala-0.28.1"
    assert found["status"]["status"] == "failed" and found["status"]["revision"] == 3
    summary = releases.release_summary(found, "skoala")
    assert summary["version"] == "0.28.1" and summary["image_tags"]["hive.image.tag"] == "v0.28.1-fix"
    assert summary["last_deployed"] == "2026-12-04T22:03:00.5Z"
    # the user-supplied values (helm get values) kept apart for the status's comparison, never in the summary
    assert found["status"]["user_values"] == {"hive": {"image": {"tag": "v0.28.1-fix"}}}
    assert "user_values" not in summary and "values" not in summary
    assert releases.latest_release([]) == {}
    assert releases.release_summary(releases.latest_release([]), "skoala")["installed"] is False


class FakeApiException(Exception):
    def __init__(self, status, reason=""):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class FakeKube:
    """module_utils.kube's surface, over a dict of clusters keyed by kubeconfig path."""
    KUBERNETES_IMPORT_ERROR = None
    ApiException = FakeApiException

    def __init__(self, clusters):
        self.clusters = clusters
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()
        outer = self

        class Client:
            class CoreV1Api:
                def __init__(self, api):
                    self.c = api.cluster

                def read_namespace(self, name, **_):
                    with outer.lock:
                        outer.active += 1
                        outer.most_active = max(outer.most_active, outer.active)
                    time.sleep(0.05)
                    with outer.lock:
                        outer.active -= 1
                    if self.c.get("down"):
                        raise ConnectionError("connection refused")
                    if name not in self.c.get("namespaces", []):
                        raise FakeApiException(404, "Not Found")

                def list_namespaced_secret(self, namespace, label_selector="", **_):
                    if self.c.get("down"):
                        raise ConnectionError("connection refused")
                    name = dict(kv.split("=") for kv in label_selector.split(","))["name"]
                    return Answer([s for s in self.c.get("secrets", []) if s["metadata"]["labels"]["name"] == name
                                   and s["metadata"].get("namespace", "skoala-system") == namespace])

                def list_namespaced_pod(self, namespace, **_):
                    return Answer(self.c.get("pods", []))

                def list_namespaced_config_map(self, namespace, **_):
                    return Answer([])

            class CoordinationV1Api:
                def __init__(self, api):
                    self.c = api.cluster

                def read_namespaced_lease(self, name, namespace, **_):
                    if name not in self.c.get("leases", {}):
                        raise FakeApiException(404, "Not Found")
                    return self.c["leases"][name]

            class VersionApi:
                def __init__(self, api):
                    self.c = api.cluster

                def get_code(self, **_):
                    return type("VersionInfo", (), {"git_version": self.c.get("version", "v1.33.0")})

            class AppsV1Api:
                def __init__(self, api):
                    self.c = api.cluster

                def read_namespaced_stateful_set(self, name, namespace, **_):
                    if "mysql" not in self.c:
                        raise FakeApiException(404, "Not Found")
                    return self.c["mysql"]

        self.client = Client

    def api_client(self, path, context=None):
        return Api(self.clusters[path])


class Answer:
    def __init__(self, items):
        self.items = items


class Api:
    def __init__(self, cluster):
        self.cluster = cluster

    def sanitize_for_serialization(self, obj):
        return {"items": obj.items} if isinstance(obj, Answer) else obj


@pytest.fixture
def kubeconfigs(tmp_path):
    def write(name):
        path = os.path.join(str(tmp_path), name + ".yaml")
        with open(path, "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: %s\ncontexts:\n- name: %s\n  context: {cluster: %s, user: u}\n"
                    "clusters:\n- name: %s\n  cluster: {server: 'https://%s:6443'}\nusers:\n- name: u\n  user: {token: secret-token}\n"
                    % (name, name, name, name, name))
        return path
    return write


def request(name, path, **kw):
    return dict({"cluster": name, "kubeconfig": path, "context": "", "namespace": "skoala-system", "mysql": None,
                 "pods": False, "insight": None, "unfinished": False, "releases": []}, **kw)


def test_read_cluster_reads_the_releases_and_hides_credentials(kubeconfigs):
    path = kubeconfigs("global")
    kube = FakeKube({path: {"namespaces": ["skoala-system"],
                            "secrets": [helm_secret("skoala", 1, "0.19.2", defaults={"hive": {"image": {"tag": "v0.19.2"}}})],
                            "mysql": {"spec": {"replicas": 1}, "status": {"readyReplicas": 1}}}})
    out = cluster_read.read_cluster(request("global", path, releases=["skoala", "skoala-init"],
                                            mysql={"namespace": "mcamel-system", "name": "mysql"}), kube)
    assert out["problem"] is None and out["namespace_exists"] is True
    assert out["releases"]["skoala"]["chart"] == "skoala-0.19.2"
    assert out["releases"]["skoala"]["image_tags"] == {"hive.image.tag": "v0.19.2"}
    assert out["releases"]["skoala-init"]["installed"] is False
    assert out["mysql"]["found"] is True
    assert "secret-token" not in json.dumps(out)


def test_problems_are_results_that_name_the_cluster(kubeconfigs, tmp_path):
    up, down = kubeconfigs("w1"), kubeconfigs("w2")
    kube = FakeKube({up: {"namespaces": []}, down: {"down": True}})
    missing = os.path.join(str(tmp_path), "nope.yaml")
    out = cluster_read.read_fleet([request("w1", up, releases=["skoala-init"]), request("w2", down),
                                   request("w3", missing)], kube)
    assert out["w1"]["problem"] is None and out["w1"]["namespace_exists"] is False
    assert out["w1"]["releases"]["skoala-init"]["installed"] is False
    assert out["w2"]["problem"].startswith("w2: ") and "connection refused" in out["w2"]["problem"]
    assert out["w3"]["problem"].startswith("w3: ") and missing in out["w3"]["problem"]


def test_read_fleet_reads_clusters_at_the_same_time_up_to_the_bound(kubeconfigs):
    paths = {"w%d" % i: kubeconfigs("w%d" % i) for i in range(6)}
    kube = FakeKube({p: {"namespaces": ["skoala-system"]} for p in paths.values()})
    out = cluster_read.read_fleet([request(n, p) for n, p in paths.items()], kube, max_workers=3)
    assert sorted(out) == sorted(paths)
    assert kube.most_active == 3
    assert cluster_read.read_fleet([], kube) == {}


def test_read_cluster_reads_the_kubernetes_version_and_global_management(kubeconfigs):
    path = kubeconfigs("global")
    ghippo = helm_secret("ghippo", 4, "0.23.1")
    ghippo["metadata"]["namespace"] = "ghippo-system"
    kube = FakeKube({path: {"namespaces": ["skoala-system"], "version": "v1.24.17+k3s1", "secrets": [ghippo]}})
    out = cluster_read.read_cluster(request("global", path, ghippo={"namespace": "ghippo-system", "release": "ghippo"}), kube)
    assert out["problem"] is None
    assert out["kubernetes_version"] == "v1.24.17+k3s1"
    assert out["ghippo"] == {"installed": True, "chart": "ghippo-0.23.1", "version": "0.23.1", "status": "deployed"}
    # Not asked for, or not there: nothing, or not installed.
    assert cluster_read.read_cluster(request("global", path), kube)["ghippo"] is None
    absent = cluster_read.read_cluster(request("global", path, ghippo={"namespace": "ghippo", "release": "ghippo"}), kube)
    assert absent["ghippo"]["installed"] is False and absent["ghippo"]["version"] is None


def test_other_release_reads_the_version_whatever_the_chart_is_called():
    def read(chart):
        return releases.other_release({"status": {"chart": chart, "status": "deployed"}})["version"]
    assert read("ghippo-0.23.0") == "0.23.0"
    assert read("dce-ghippo-v0.30.0-rc.1") == "0.30.0-rc.1"
    assert read("ghippo-latest") is None
    assert releases.other_release({})["installed"] is False


def test_read_cluster_reads_the_fleet_lock_when_asked(kubeconfigs):
    path = kubeconfigs("global")
    lease = {"metadata": {"name": "skoala-upgrade-lock", "namespace": "skoala-system", "resourceVersion": "7",
                          "annotations": {"skoala.dce5.io/run-id": "r1"}},
             "spec": {"holderIdentity": "u@h pid 1 run r1", "acquireTime": "2026-12-04T00:00:00Z"}}
    kube = FakeKube({path: {"namespaces": ["skoala-system"], "leases": {"skoala-upgrade-lock": lease}}})
    out = cluster_read.read_cluster(request("global", path, lock="skoala-upgrade-lock"), kube)
    assert out["lock"]["spec"]["holderIdentity"] == "u@h pid 1 run r1"
    assert out["lock"]["metadata"]["annotations"] == {"skoala.dce5.io/run-id": "r1"}
    assert cluster_read.read_cluster(request("global", path, lock="other"), kube)["lock"] is None
    assert cluster_read.read_cluster(request("global", path), kube)["lock"] is None
