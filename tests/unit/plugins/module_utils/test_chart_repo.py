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


# --- read_index, against a real HTTP server on loopback -----------------------

INDEX = b"""apiVersion: v1
entries:
  skoala:
    - {name: skoala, version: 0.28.1}
    - {name: skoala, version: 0.19.2}
  skoala-init:
    - {name: skoala-init, version: 0.28.1}
  insight-agent:
    - {name: insight-agent, version: 0.20.0}
"""


@pytest.fixture
def repo_server():
    """A chart repository at http://127.0.0.1:<port>/chartrepo/skoala that
    wants admin / s3cr3t; ``server.body`` is what its index.yaml holds."""
    import base64
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            want = "Basic " + base64.b64encode(b"admin:s3cr3t").decode()
            if self.headers.get("Authorization") != want:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="charts"')
                self.end_headers()
                return
            if self.path != "/chartrepo/skoala/index.yaml":
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.end_headers()
            self.wfile.write(server.body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.body = INDEX
    server.url = "http://127.0.0.1:%d/chartrepo/skoala" % server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_read_index_gives_the_versions_of_each_chart_asked_for(repo_server):
    out = chart_repo.read_index(repo_server.url + "/", ["skoala", "skoala-init", "nothing"], "admin", "s3cr3t")
    assert out == {"status": 200, "problem": None,
                   "versions": {"skoala": ["0.28.1", "0.19.2"], "skoala-init": ["0.28.1"], "nothing": []}}


@pytest.mark.parametrize("username, password, status, said", [
    ("admin", "wrong", 401, "answered HTTP 401 (wrong or missing credentials"),
    (None, None, 401, "answered HTTP 401 (wrong or missing credentials"),
])
def test_read_index_refused(repo_server, username, password, status, said):
    out = chart_repo.read_index(repo_server.url, ["skoala"], username, password)
    assert (out["status"], out["versions"]) == (status, {})
    assert out["problem"].startswith("chart repository %s/index.yaml %s" % (repo_server.url, said))


def test_read_index_of_a_wrong_path_and_of_credentials_in_the_url(repo_server):
    wrong = repo_server.url.replace("/skoala", "/other")
    out = chart_repo.read_index(wrong, ["skoala"], "admin", "s3cr3t")
    assert out["status"] == 404 and "%s/index.yaml answered HTTP 404;" % wrong in out["problem"]
    # credentials in the URL work, as with ansible.builtin.uri, and never show
    with_creds = repo_server.url.replace("http://", "http://admin:s3cr3t@")
    assert chart_repo.read_index(with_creds, ["skoala"])["versions"] == {"skoala": ["0.28.1", "0.19.2"]}
    repo_server.body = b"<html>not an index</html>"
    out = chart_repo.read_index(with_creds, ["skoala"])
    assert out["status"] == 200 and out["versions"] == {}
    assert out["problem"] == ("chart repository %s/index.yaml is not a Helm repository index (no entries in it); "
                              "fix skoala_repo_url or the repository before upgrading." % repo_server.url)
    repo_server.body = b"entries: {skoala: [\x00"
    out = chart_repo.read_index(with_creds, ["skoala"])
    assert "is not a Helm repository index (" in out["problem"] and "s3cr3t" not in out["problem"]


def test_read_index_of_a_repository_that_is_not_there():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = chart_repo.read_index("http://admin:s3cr3t@127.0.0.1:%d/chartrepo/skoala" % port, ["skoala"],
                                password="s3cr3t", timeout=5)
    assert out["status"] == -1 and out["versions"] == {}
    assert out["problem"].startswith("chart repository http://127.0.0.1:%d/chartrepo/skoala/index.yaml answered "
                                     "nothing (" % port)
    assert "refused" in out["problem"].lower() and "s3cr3t" not in out["problem"]


@pytest.mark.parametrize("rc, out, err, failed", [
    (0, "Hang tight...\n...Successfully got an update from the \"skoala\" chart repository\n", "", False),
    # helm 3 exits 0 when the repository did not answer
    (0, "...Unable to get an update from the \"skoala\" chart repository (http://x):\n\tconnection refused\n", "", True),
    (1, "", "Error: no repositories found. You must add one before updating", True),
])
def test_refresh_updates_that_repository_only_and_reads_helm_s_answer(rc, out, err, failed):
    calls = []

    def run(argv):
        calls.append(argv)
        return rc, out, err
    assert chart_repo.refresh("skoala", "/opt/helm", run) == {"rc": rc, "stdout": out, "stderr": err, "failed": failed}
    assert calls == [["/opt/helm", "repo", "update", "skoala"]]


@pytest.mark.parametrize("rc, out, known", [
    (0, '[{"name":"skoala","url":"https://charts.example/chartrepo/skoala"}]', True),
    (0, '[{"name":"skoala","url":"https://charts.example/chartrepo/skoala/"}]', True),
    (0, '[{"name":"other","url":"https://charts.example/chartrepo/skoala"},'
        '{"name":"skoala","url":"https://old.example/chartrepo/skoala"}]', False),
    (0, "[]", False),
    # helm 3: "Error: no repositories to show", exit 1
    (1, "", False),
    (0, "not json", False),
])
def test_known_at_compares_name_and_url(rc, out, known):
    calls = []

    def run(argv):
        calls.append(argv)
        return rc, out, ""
    assert chart_repo.known_at("skoala", URL + "/", "helm", run) is known
    assert calls == [["helm", "repo", "list", "-o", "json"]]


def test_a_password_in_the_url_never_shows():
    url = "https://admin:s3cr3t@charts.example/chartrepo/skoala"
    assert chart_repo.url_secrets(url) == ["s3cr3t"]
    assert chart_repo.url_secrets(URL) == [] and chart_repo.url_secrets(None) == []
    said = chart_repo.refresh_failure("w1", "skoala", url, {"stderr": "Error: %s/index.yaml : 503" % url})
    assert "s3cr3t" not in said and "(https://charts.example/chartrepo/skoala)" in said


def test_read_index_of_a_tls_port_spoken_to_in_plain_http_and_of_a_bad_port():
    import socket
    import threading
    # a server that answers garbage instead of HTTP: http.client's BadStatusLine
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def answer():
        conn, dummy = server.accept()
        conn.recv(1024)
        conn.sendall(b"\x15\x03\x01\x00\x02\x02\x46")  # a TLS alert
        conn.close()
    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    out = chart_repo.read_index("http://127.0.0.1:%d/chartrepo/skoala" % port, ["skoala"], timeout=5)
    thread.join(5)
    server.close()
    assert out["status"] == -1 and out["problem"].startswith(
        "chart repository http://127.0.0.1:%d/chartrepo/skoala/index.yaml answered nothing (" % port), out
    # credentials both in the URL and as options: the port is then not a number
    out = chart_repo.read_index("http://admin:s3cr3t@127.0.0.1:1/chartrepo/skoala", ["skoala"], "admin", "other")
    assert out["status"] == -1 and "s3cr3t" not in out["problem"] and "other" not in out["problem"], out
