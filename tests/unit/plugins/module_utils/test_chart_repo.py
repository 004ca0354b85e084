"""The chart repository's failure messages (module_utils/chart_repo.py)."""
import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import chart_repo

URL = "https://charts.example/chartrepo/skoala"


@pytest.mark.parametrize("status, error, said", [
    (404, "", "answered HTTP 404;"),
    (401, "", "answered HTTP 401 (wrong or missing credentials: check skoala_repo_username / skoala_repo_password);"),
    (403, "", "answered HTTP 403 (wrong or missing credentials"),
    (-1, "Request failed: <urlopen error [Errno 111] Connection refused>",
     "answered nothing (Request failed: <urlopen error [Errno 111] Connection refused>);"),
    (-1, "Get https://admin:s3cr3t@charts.example/index.yaml: timeout",
     "answered nothing (Get https://charts.example/index.yaml: timeout);"),
])
def test_index_problem(status, error, said):
    msg = chart_repo.index_problem(URL, status, error)
    assert msg.startswith("chart repository %s/index.yaml answered " % URL)
    assert said in msg and "s3cr3t" not in msg
    assert msg.endswith("; fix skoala_repo_url or the repository before upgrading.")


def test_refresh_failure_says_what_helm_said_without_secrets():
    result = {"rc": 1, "stdout": "", "msg": "non-zero return code",
              "stderr": "Error: looks like \"https://admin:s3cr3t@charts.example/chartrepo/skoala\"\n  is not a valid"
                        " chart repository (password s3cr3t)"}
    msg = chart_repo.refresh_failure("dce-global", "skoala", URL, result, "s3cr3t")
    assert msg == (
        "dce-global: chart repository skoala (%s) did not answer while refreshing its index, after preflight had "
        "read it: Error: looks like \"https://charts.example/chartrepo/skoala\" is not a valid chart repository "
        "(password ********). Nothing was changed on dce-global by this step. Bring the repository back (or fix "
        "skoala_repo_url) and re-run; clusters already upgraded are left as they are." % URL)


def test_refresh_failure_reads_stdout_then_msg_and_cuts_long_output():
    # helm exits 0 when a repository did not answer, and says so on stdout.
    said = chart_repo.refresh_failure("w1", "skoala", URL, {"rc": 0, "stderr": "", "stdout": "...Unable to get an update"})
    assert "after preflight had read it: ...Unable to get an update. Nothing was changed on w1" in said
    assert "read it: boom. " in chart_repo.refresh_failure("w1", "skoala", URL, {"msg": "boom"})
    assert "read it: . " in chart_repo.refresh_failure("w1", "skoala", URL, None)
    long_said = chart_repo.refresh_failure("w1", "skoala", URL, {"stderr": "y" * 2000})
    assert "y" * 497 + "..." in long_said and "y" * 498 not in long_said
