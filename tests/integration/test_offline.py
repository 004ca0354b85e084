"""The air-gapped path on the real sandbox: a fixture offline bundle (real
docker-archive), a real registry (Debian docker-registry, plain HTTP on
loopback, with and without htpasswd), skopeo, a real containerd for the
node-load path, and the upgrade from the unpacked chart.

charts-syncer is not exercised: the Go module proxy this machine reaches
refuses github.com/bitnami/charts-syncer (403), so it cannot be built here.
What can be tested of that method is: the generated load-image.yaml (unit
tests) and that a missing charts-syncer stops preflight before any change.
"""
import base64
import hashlib
import json
import os
import shutil
import tarfile
import urllib.error
import urllib.request

import pytest

import offline_bundles
import sandbox as sandbox_mod

TARGET = "0.28.1"


def registry_get(registry, path, user=None, password=None, accept=None):
    req = urllib.request.Request("http://%s%s" % (registry, path))
    if user:
        req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode())
    if accept:
        req.add_header("Accept", accept)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read().decode())


def registry_state(box, kind):
    """{repository: {tag: config digest}} read through the registry API."""
    reg = box.registry_url(kind)
    auth = ("admin", box.state["registry_password"]) if kind == "auth" else (None, None)
    state = {}
    for repo in registry_get(reg, "/v2/_catalog", *auth)["repositories"]:
        tags = registry_get(reg, "/v2/%s/tags/list" % repo, *auth)["tags"] or []
        state[repo] = {t: registry_get(reg, "/v2/%s/manifests/%s" % (repo, t), *auth,
                                       accept="application/vnd.docker.distribution.manifest.v2+json,"
                                              "application/vnd.oci.image.manifest.v1+json")["config"]["digest"]
                       for t in tags}
    return state


def bundle_images(tar_path):
    """{ref: config digest} of every image in an offline package, read directly."""
    images = {}
    with tarfile.open(tar_path) as outer:
        for member in outer.getmembers():
            if not member.name.endswith(".bundle.tar"):
                continue
            with tarfile.open(fileobj=outer.extractfile(member)) as bundle:
                with tarfile.open(fileobj=bundle.extractfile("images.tar")) as archive:
                    for entry in json.loads(archive.extractfile("manifest.json").read()):
                        digest = "sha256:" + hashlib.sha256(archive.extractfile(entry["Config"]).read()).hexdigest()
                        for ref in entry["RepoTags"]:
                            images[ref] = digest
    return images


def offline_vars(box, kind="auth", **extra):
    values = {
        "skoala_source": "offline",
        "skoala_offline_bundle": os.path.join(box.offline_dir, "skoala_v%s_amd64.tar" % TARGET),
        "skoala_offline_registry": box.registry_url(kind),
        "skoala_registry_tls_verify": False,
        "skoala_offline_work_dir": os.path.join(box.dir, "offline-work"),
    }
    if kind == "auth":
        values.update(skoala_registry_username="admin", skoala_registry_password=box.state["registry_password"])
    values.update(extra)
    return values


@pytest.fixture
def offline_fleet(fleet):
    fleet.box.reset_registries()
    shutil.rmtree(os.path.join(fleet.dir, "offline-work"), ignore_errors=True)
    return fleet


WORKLOAD_KINDS = ("deployments", "statefulsets", "daemonsets", "jobs")
OWNER_KINDS = ("jobs", "replicasets", "statefulsets", "daemonsets")


def workload_images(fleet, cluster):
    """Images of the pod templates of every workload and Job in the release
    namespace: what the upgrade installed, whatever pods are left around."""
    return sorted({c["image"] for kind in WORKLOAD_KINDS for obj in fleet.objects(cluster, kind)
                   for c in obj["spec"]["template"]["spec"]["containers"]})


def pod_images(fleet, cluster):
    """Images of the pods that belong to what is on the cluster now, and the
    pods left out (name, owners, deletion), for the failure message.

    The upgrade deletes the old admission Jobs (propagation Background, as
    ``kubectl delete job`` does); their pods then wait for the controller
    manager's garbage collector, which stops to sync its caches again when
    new CRDs appear (its log shows it), so under load they can outlive the
    run. Pods being deleted, pods whose owner is gone and pods without an
    owner (no chart here makes a bare pod) are not what the upgrade installed."""
    owners = {obj["metadata"]["uid"] for kind in OWNER_KINDS for obj in fleet.objects(cluster, kind)}
    current, left_out = [], []
    for pod in fleet.objects(cluster, "pods"):
        refs = pod["metadata"].get("ownerReferences") or []
        if refs and not pod["metadata"].get("deletionTimestamp") and all(r["uid"] in owners for r in refs):
            current.append(pod)
        else:
            left_out.append((pod["metadata"]["name"], [(r["kind"], r["name"]) for r in refs],
                             pod["metadata"].get("deletionTimestamp"),
                             [c["image"] for c in pod["spec"]["containers"]]))
    return sorted({c["image"] for pod in current for c in pod["spec"]["containers"]}), left_out


def test_offline_upgrade_with_skopeo(offline_fleet, tmp_path):
    fleet, box = offline_fleet, offline_fleet.box
    registry = box.registry_url("auth")
    inv = fleet.inventory_copy()
    inv["all"]["vars"].update(offline_vars(box))
    inventory = fleet.write_inventory(tmp_path, inv)

    run = fleet.playbook("upgrade.yml", inventory=inventory)
    assert run.rc == 0, run

    # every image of the bundle is in the registry, same config digest
    expected = bundle_images(inv["all"]["vars"]["skoala_offline_bundle"])
    assert len(expected) == 8
    state = registry_state(box, "auth")
    for ref, digest in expected.items():
        dummy, path_tag = ref.split("/", 1)
        path, tag = path_tag.rsplit(":", 1)
        assert state[path][tag] == digest, (ref, state.get(path))
    assert "bundle 1/2" in run.out and "bundle 2/2" in run.out

    # releases at the target, every pod pulls from the local registry
    for cluster in fleet.clusters:
        assert fleet.release(cluster)["chart"] == "%s-%s" % (fleet.component(cluster), TARGET)
        installed = workload_images(fleet, cluster)
        assert installed and all(i.startswith(registry + "/skoala/") for i in installed), (cluster, installed)
        images, left_out = pod_images(fleet, cluster)
        assert images and all(i.startswith(registry + "/skoala/") for i in images), (cluster, images, left_out)
    # the password never shows
    assert box.state["registry_password"] not in run.out

    # unpacked once, private
    work = os.path.join(fleet.dir, "offline-work")
    assert oct(os.stat(work).st_mode & 0o777) == "0o700"

    histories = fleet.histories()
    again = fleet.playbook("upgrade.yml", inventory=inventory)
    assert again.rc == 0, again
    assert all(c == 0 for c in again.changed().values()), again.recap
    assert registry_state(box, "auth") == state
    assert fleet.histories() == histories


def test_offline_check_mode_changes_nothing(offline_fleet, tmp_path):
    fleet, box = offline_fleet, offline_fleet.box
    inv = fleet.inventory_copy()
    inv["all"]["vars"].update(offline_vars(box))
    before = fleet.histories()
    run = fleet.playbook("upgrade.yml", inventory=fleet.write_inventory(tmp_path, inv), args=["--check", "--diff"])
    assert run.rc == 0, run
    # the push reports what it would do, and does not do it
    assert "changed: [dce-global -> localhost] => (item=bundle 1/2: skoala 0.28.1, 3 images)" in run.out, run
    # the diff is rendered from the bundle's chart, against the local registry
    assert "%s/skoala/hive:v0.28.1" % box.registry_url("auth") in run.out
    assert fleet.histories() == before
    assert registry_state(box, "auth") == {}
    assert not os.path.exists(os.path.join(fleet.dir, "offline-work"))
    assert box.state["registry_password"] not in run.out


def test_sync_images_open_registry_and_oci_charts(offline_fleet, tmp_path):
    fleet, box = offline_fleet, offline_fleet.box
    inv = {"all": {"vars": dict(fleet.inventory["all"]["vars"], **offline_vars(
        box, "open", skoala_offline_chart_push="oci"))}}
    inventory = fleet.write_inventory(tmp_path, inv)
    before = fleet.histories()

    run = fleet.playbook("sync_images.yml", inventory=inventory)
    assert run.rc == 0, run
    state = registry_state(box, "open")
    assert {"skoala/hive", "skoala/skoala-agent", "skoala/skoala", "skoala/skoala-init"} <= set(state)
    assert set(state["skoala/skoala"]) == {TARGET}
    # the chart pushed as OCI is the bundle's chart
    pulled = tmp_path / "pulled"
    pulled.mkdir()
    box.run(os.path.join(box.bin, "helm"), "pull", "oci://%s/skoala/skoala-init" % box.registry_url("open"),
            "--version", TARGET, "--plain-http", "-d", str(pulled), capture=True)
    assert (pulled / ("skoala-init-%s.tgz" % TARGET)).exists()

    again = fleet.playbook("sync_images.yml", inventory=inventory)
    assert again.rc == 0, again
    assert again.changed() == {"localhost": 0}, again.recap
    assert registry_state(box, "open") == state
    assert fleet.histories() == before


@pytest.mark.skipif(os.getuid() != 0, reason="the sandbox's containerd needs root")
def test_sync_images_into_containerd_nodes(offline_fleet, tmp_path):
    fleet, box = offline_fleet, offline_fleet.box
    assert box.state.get("containerd"), "sandbox containerd is not running"
    sock = box.containerd_socket

    def namespace_images():
        return set(box.run("ctr", "--address", sock, "-n", "k8s.io", "image", "ls", "-q", capture=True).stdout.split())

    for ref in namespace_images():
        box.run("ctr", "--address", sock, "-n", "k8s.io", "image", "rm", ref, capture=True)
    # a cluster without registry: images are tagged as the charts will ask for them
    inv = {"all": {
        "vars": dict(fleet.inventory["all"]["vars"], **offline_vars(
            box, "open", skoala_image_sync_method="nodes", skoala_offline_registry="registry.offline.internal")),
        "children": {"skoala_image_nodes": {"hosts": {"node-1": {
            "skoala_containerd_address": sock, "skoala_node_image_dir": str(tmp_path / "node-1")}}}},
    }}
    inventory = fleet.write_inventory(tmp_path, inv)
    run = fleet.playbook("sync_images.yml", inventory=inventory)
    assert run.rc == 0, run
    have = namespace_images()
    expected = {"registry.offline.internal/skoala/" + ref.rsplit("/", 1)[1]
                for ref in bundle_images(inv["all"]["vars"]["skoala_offline_bundle"])}
    assert expected <= have, sorted(expected - have)
    assert run.changed()["node-1"] > 0
    # the copied archive does not stay on the node
    assert os.listdir(str(tmp_path / "node-1")) == []

    again = fleet.playbook("sync_images.yml", inventory=inventory)
    assert again.rc == 0, again
    assert all(c == 0 for c in again.changed().values()), again.recap


def charts_syncer_missing(box, tmp_path, v):
    v["skoala_image_sync_method"] = "charts-syncer"
    v["skoala_charts_syncer_binary"] = str(tmp_path / "no-charts-syncer")
    return ["charts-syncer is needed to push 8 image(s)", "skoala_charts_syncer_binary"]


def bundle_missing(box, tmp_path, v):
    v["skoala_offline_bundle"] = str(tmp_path / "skoala_v0.28.1_amd64.tar")
    return ["skoala_offline_bundle %s does not exist" % v["skoala_offline_bundle"]]


def copied_bundle(box, tmp_path, v):
    src = v["skoala_offline_bundle"]
    dst = str(tmp_path / os.path.basename(src))
    shutil.copy(src, dst)
    shutil.copy(src[:-4] + "_checksum.sha512sum", dst[:-4] + "_checksum.sha512sum")
    v["skoala_offline_bundle"] = dst
    return dst


def checksum_mismatch(box, tmp_path, v):
    dst = copied_bundle(box, tmp_path, v)
    with open(dst, "ab") as f:
        f.write(b"\0" * 512)
    return ["checksum mismatch for %s" % dst, "download it again"]


def corrupt_tar(box, tmp_path, v):
    dst = copied_bundle(box, tmp_path, v)
    with open(dst, "r+b") as f:
        f.truncate(1000)
    with open(dst, "rb") as f:
        digest = hashlib.sha512(f.read()).hexdigest()
    with open(dst[:-4] + "_checksum.sha512sum", "w", encoding="utf-8") as f:
        f.write("%s  %s\n" % (digest, os.path.basename(dst)))
    return ["%s cannot be unpacked" % dst]


def registry_down(box, tmp_path, v):
    v["skoala_offline_registry"] = "127.0.0.1:%d" % sandbox_mod.free_port()
    return ["registry %s is not reachable" % v["skoala_offline_registry"], "skoala_offline_registry"]


def wrong_password(box, tmp_path, v):
    v["skoala_registry_password"] = "not-the-password"
    return ["rejected the credentials of user 'admin'", "skoala_registry_password"]


def image_missing(box, tmp_path, v):
    out = offline_bundles.offline_bundle(os.path.join(box.repo_root, "skoala"), TARGET, str(tmp_path),
                                         helm=os.path.join(box.bin, "helm"), drop=["sesame"])
    v["skoala_offline_bundle"] = out["tar"]
    return ["/skoala/sesame:v0.28.1", "neither in the bundle %s" % out["tar"], "charts: skoala"]


BAD_INPUT = [charts_syncer_missing, bundle_missing, checksum_mismatch, corrupt_tar, registry_down,
             wrong_password, image_missing]


@pytest.mark.parametrize("breakage", BAD_INPUT, ids=[b.__name__ for b in BAD_INPUT])
def test_offline_bad_input_stops_before_any_change(baseline_fleet, tmp_path, breakage):
    fleet, box = baseline_fleet, baseline_fleet.box
    box.reset_registries()  # "missing" means missing from an empty registry
    v = offline_vars(box)
    v["skoala_offline_work_dir"] = str(tmp_path / "work")
    expected = breakage(box, tmp_path, v)
    inv = fleet.inventory_copy()
    inv["all"]["vars"].update(v)
    before = fleet.histories()
    run = fleet.playbook("upgrade.yml", inventory=fleet.write_inventory(tmp_path, inv))
    assert run.rc != 0, run
    for fragment in expected:
        assert fragment in run.out, (fragment, run.out[-3000:])
    assert fleet.histories() == before
    assert box.state["registry_password"] not in run.out
