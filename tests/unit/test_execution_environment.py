"""The execution environment holds what the AWX/AAP jobs need (docs/awx.md):
helm with the helm-diff plugin, kubernetes.core, this collection and the
Python and system packages of requirements.txt and bindep.txt. The image
itself needs a container engine, which this project's machines lack; what
is checked here is the definition the build context is rendered from."""
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_the_collections_ee_file_names_the_requirement_files_that_exist():
    meta = load("meta/execution-environment.yml")
    assert meta["version"] == 1
    for key, path in (("python", "requirements.txt"), ("system", "bindep.txt")):
        assert meta["dependencies"][key] == path
        assert os.path.isfile(os.path.join(ROOT, path))


def test_the_ee_has_kubernetes_core_this_collection_and_the_runner():
    ee = load("execution-environment.yml")
    deps = ee["dependencies"]
    names = [c["name"] for c in deps["galaxy"]["collections"]]
    assert "kubernetes.core" in names and "dce5-skoala.tar.gz" in names
    assert deps["python"] == "requirements.txt" and deps["system"] == "bindep.txt"
    assert "ansible_runner" in deps and "ansible_core" in deps
    # the same ansible-core as the controller's requirements
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as f:
        pins = [line.strip() for line in f if line.startswith("ansible-core")]
    assert deps["ansible_core"]["package_pip"] in pins


def test_the_ee_has_helm_and_the_helm_diff_plugin():
    steps = "\n".join(load("execution-environment.yml")["additional_build_steps"]["append_final"])
    assert "/usr/local/bin/helm" in steps
    assert "ENV HELM_PLUGINS=/usr/local/share/helm/plugins" in steps
    assert "helm diff version" in steps  # the build fails without the plugin


def test_make_ee_stages_what_the_definition_copies():
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as f:
        makefile = f.read()
    ee_rule = makefile[makefile.index("\nee:"):]
    ee_rule = ee_rule[:ee_rule.index("\n\n")]
    for staged in ("ee-build/dce5-skoala.tar.gz", "ee-build/helm", "ee-build/helm-plugins/diff/plugin.yaml",
                   "ee-build/helm-plugins/diff/bin/diff"):
        parent, name = os.path.split(staged)
        assert staged in ee_rule or (parent + "/" in ee_rule and name in ee_rule), staged


def test_the_test_venv_has_ansible_runner_and_the_same_requirements():
    with open(os.path.join(ROOT, "requirements-test.txt"), encoding="utf-8") as f:
        lines = [line.strip() for line in f]
    assert "-r requirements.txt" in lines
    assert any(line.startswith("ansible-runner==") for line in lines)
