"""Kubeconfigs without their credentials: the summary, what is wrong with
the file or the context, and the message for an API server that does not answer."""
import pytest
import yaml

from ansible_collections.dce5.skoala.plugins.module_utils import kubeconfig


KUBECONFIG = {
    "current-context": "a",
    "contexts": [{"name": "a", "context": {"cluster": "ca", "user": "ua"}},
                 {"name": "b", "context": {"cluster": "cb", "user": "ub"}}],
    "clusters": [{"name": "ca", "cluster": {"server": "https://a:6443"}},
                 {"name": "cb", "cluster": {"server": "https://b:6443"}}],
    "users": [{"name": "ua", "user": {"token": "SECRET-TOKEN"}}],
}


def test_kubeconfig_summary_current_context():
    s = kubeconfig.kubeconfig_summary(KUBECONFIG)
    assert s == {"valid": True, "contexts": ["a", "b"], "context": "a", "context_found": True,
                 "server": "https://a:6443"}
    assert "SECRET" not in repr(s)


def test_kubeconfig_summary_named_and_missing_context():
    assert kubeconfig.kubeconfig_summary(KUBECONFIG, "b")["server"] == "https://b:6443"
    missing = kubeconfig.kubeconfig_summary(KUBECONFIG, "nope")
    assert missing["context_found"] is False and missing["server"] is None


def test_kubeconfig_summary_not_a_kubeconfig():
    assert kubeconfig.kubeconfig_summary("garbage")["valid"] is False
    # unparsable text is an invalid kubeconfig, not an error (whose message could echo a secret)
    assert kubeconfig.kubeconfig_summary("{[ token: s3cret")["valid"] is False
    assert kubeconfig.kubeconfig_summary(b"\x00\xff\x01")["valid"] is False
    assert kubeconfig.kubeconfig_summary("contexts: nope")["valid"] is False
    assert kubeconfig.kubeconfig_summary(yaml.safe_dump(KUBECONFIG))["context_found"] is True
    assert kubeconfig.kubeconfig_summary({})["context_found"] is False


@pytest.mark.parametrize("exists, is_file, readable, expected", [
    (False, False, False, "does not exist"),
    (True, False, True, "is not a regular file"),
    (True, True, False, "is not readable"),
])
def test_kubeconfig_file_problem_names_the_variable_and_the_fix(exists, is_file, readable, expected):
    msg = kubeconfig.kubeconfig_file_problem("/k.yaml", exists, is_file, readable)
    assert msg == ("skoala_kubeconfig /k.yaml %s; point skoala_kubeconfig at this cluster's kubeconfig file."
                   % expected)


def test_kubeconfig_file_problem_none_for_a_good_file():
    assert kubeconfig.kubeconfig_file_problem("/k.yaml", True, True, True) is None


def test_context_problem_none_when_found():
    assert kubeconfig.kubeconfig_context_problem("/k", kubeconfig.kubeconfig_summary(KUBECONFIG)) is None


def test_context_problem_lists_the_contexts_there_are():
    msg = kubeconfig.kubeconfig_context_problem("/k", kubeconfig.kubeconfig_summary(KUBECONFIG, "zz"))
    assert msg == "context zz (skoala_kube_context) not found in /k (it has: a, b); set skoala_kube_context to one of them."


def test_context_problem_of_a_file_that_is_not_a_kubeconfig():
    msg = kubeconfig.kubeconfig_context_problem("/k", kubeconfig.kubeconfig_summary("just text"))
    assert msg == ("skoala_kubeconfig /k is not a kubeconfig (YAML with contexts and clusters); "
                   "point skoala_kubeconfig at the kubeconfig file of the cluster.")


def test_context_problem_without_a_current_context():
    config = dict(KUBECONFIG)
    del config["current-context"]
    msg = kubeconfig.kubeconfig_context_problem("/k", kubeconfig.kubeconfig_summary(config))
    assert msg == "no current-context not found in /k (it has: a, b); set skoala_kube_context to one of them."


def test_unreachable_message_names_server_and_fix_and_is_short():
    summary = kubeconfig.kubeconfig_summary(KUBECONFIG)
    msg = kubeconfig.unreachable_message("w1", summary, "/k", "Connection refused\n" + "x" * 1000)
    assert msg.startswith("w1: cannot reach the API server https://a:6443 (kubeconfig /k, context a): "
                          "Connection refused x")
    assert msg.endswith("Check the cluster is up and the kubeconfig points at it.")
    assert len(msg) < 600


def test_unreachable_message_without_server():
    msg = kubeconfig.unreachable_message("w1", {"context": None}, "/k", "")
    assert "API server ? " in msg and "unknown error" in msg


def test_read_file_of_a_kubeconfig(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text(yaml.safe_dump(KUBECONFIG), encoding="utf-8")
    assert kubeconfig.read_file(str(path)) == (kubeconfig.kubeconfig_summary(KUBECONFIG), None)
    summary, problem = kubeconfig.read_file(str(path), "nope")
    assert summary["context_found"] is False
    assert problem == "context nope (skoala_kube_context) not found in %s (it has: a, b); " \
        "set skoala_kube_context to one of them." % path


def test_read_file_that_is_missing_or_a_directory(tmp_path):
    assert kubeconfig.read_file(str(tmp_path / "none.yaml")) == (
        None, "skoala_kubeconfig %s does not exist; point skoala_kubeconfig at this cluster's kubeconfig file."
        % (tmp_path / "none.yaml"))
    summary, problem = kubeconfig.read_file(str(tmp_path))
    assert summary is None and "is not a regular file" in problem


@pytest.mark.parametrize("content", [b"{[ token: s3cret", b"\x00\xff\x01 token: s3cret", b"contexts: nope", b""])
def test_read_file_that_is_no_kubeconfig_says_so_without_its_content(tmp_path, content):
    path = tmp_path / "k.yaml"
    path.write_bytes(content)
    summary, problem = kubeconfig.read_file(str(path))
    assert summary["valid"] is False
    assert problem.startswith("skoala_kubeconfig %s is not a kubeconfig" % path) and "s3cret" not in problem
