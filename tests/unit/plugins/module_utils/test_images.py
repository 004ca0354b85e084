"""A plan's image tags as Helm --set values, and the tag each workload must run."""
from ansible_collections.dce5.skoala.plugins.module_utils import images


def test_set_values_strings_and_registry():
    assert images.set_values({"hive.image.tag": "v0.28.1"}, "127.0.0.1:5000") == [
        {"value": "hive.image.tag=v0.28.1", "value_type": "string"},
        {"value": "global.imageRegistry=127.0.0.1:5000", "value_type": "string"}]
    assert images.set_values({}, "") == []


def test_expected_images_maps_ui_to_its_workload():
    assert images.expected_images({"hive.image.tag": "v1", "ui.image.tag": "v2", "skoala-agent.image.tag": "v1"}) == {
        "hive": "v1", "skoala-ui": "v2", "skoala-agent": "v1"}


def test_node_cli_per_runtime():
    assert images.node_cli("containerd", "ctr", "", "docker") == ["ctr", "-n", "k8s.io"]
    assert images.node_cli("containerd", "/usr/bin/ctr", "/run/k3s/containerd/containerd.sock", "docker") == [
        "/usr/bin/ctr", "--address", "/run/k3s/containerd/containerd.sock", "-n", "k8s.io"]
    assert images.node_cli("docker", "ctr", "/run/containerd.sock", "/usr/bin/docker") == ["/usr/bin/docker"]
