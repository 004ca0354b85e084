"""Modules repo_index and repo_refresh, their main() run as Ansible runs it:
a password written into the repository URL is masked in the result (its
invocation shows at -vvv), and a missing helm does not read as a dead
repository."""
import os

from ansible_collections.dce5.skoala.plugins.modules import repo_index, repo_refresh

SECRET = "s3cr3t-in-url"


def test_repo_index_masks_a_password_in_the_url(run_module):
    failed, result = run_module(repo_index.main, {
        "url": "http://admin:%s@127.0.0.1:1/chartrepo/skoala" % SECRET, "timeout": 5})
    expected = "chart repository http://127.0.0.1:1/chartrepo/skoala/index.yaml answered nothing ("
    assert failed and result["msg"].startswith(expected)
    assert SECRET not in str(result)
    assert result["invocation"]["module_args"]["url"] == "http://admin:********@127.0.0.1:1/chartrepo/skoala"


def test_repo_refresh_without_helm(run_module, tmp_path):
    missing = os.path.join(str(tmp_path), "no-helm")
    url = "http://admin:%s@127.0.0.1:1/chartrepo/skoala" % SECRET
    # with a URL the caller adds the repository next, and that add says helm is missing
    failed, result = run_module(repo_refresh.main, {"name": "skoala", "url": url, "binary_path": missing})
    assert not failed and result["known"] is False and SECRET not in str(result)
    # without one, the refresh itself is asked for: it fails, naming the variable
    failed, result = run_module(repo_refresh.main, {"name": "skoala", "binary_path": missing})
    assert failed and result["msg"] == "helm (%s) not found on this machine; set skoala_helm_binary" % missing
