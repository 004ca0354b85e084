"""The registry client's decisions (auth challenges, scheme fallback, error
wording) against a scripted transport; the real registry is exercised in
tests/integration/test_offline.py."""
import io
import json
from email.message import Message
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.dce5.skoala.plugins.module_utils.registry import Registry, RegistryError, _challenge


class Resp:
    def __init__(self, body=b"{}", headers=None, status=200):
        self.body, self.status = body, status
        self.headers = headers or {}

    def read(self):
        return self.body


def http_error(url, code, headers=None):
    msg = Message()
    for k, v in (headers or {}).items():
        msg[k] = v
    return HTTPError(url, code, "err", msg, io.BytesIO(b""))


class Script:
    """Answers calls in order; records (method, url, headers)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, url, method=None, headers=None, **kw):
        self.calls.append((method, url, dict(headers or {})))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(url)
        return answer


def test_challenge_parsing():
    assert _challenge('Bearer realm="https://h/service/token",service="harbor-registry"') == (
        "bearer", {"realm": "https://h/service/token", "service": "harbor-registry"})
    assert _challenge('Basic realm="sandbox"') == ("basic", {"realm": "sandbox"})
    assert _challenge("") == ("", {})


def test_ping_open_registry():
    script = Script(Resp())
    Registry("reg:5000", opener=script).ping()
    assert script.calls[0][1] == "https://reg:5000/v2/"
    assert "Authorization" not in script.calls[0][2]


def test_basic_challenge_then_credentials():
    script = Script(http_error("u", 401, {"WWW-Authenticate": 'Basic realm="r"'}), Resp())
    Registry("reg", "admin", "pw", opener=script).ping()
    assert script.calls[1][2]["Authorization"] == "Basic YWRtaW46cHc="


def test_basic_credentials_are_reused_for_every_repository():
    manifest = json.dumps({"config": {"digest": "sha256:abc"}}).encode()
    script = Script(http_error("u", 401, {"WWW-Authenticate": 'Basic realm="r"'}), Resp(manifest), Resp(manifest))
    reg = Registry("reg", "admin", "pw", opener=script)
    assert reg.config_digest("skoala/hive", "v1") == "sha256:abc"
    assert reg.config_digest("skoala/sesame", "v1") == "sha256:abc"
    assert len(script.calls) == 3  # one challenge, then credentials sent up front
    assert script.calls[2][2]["Authorization"] == "Basic YWRtaW46cHc="


def test_bearer_challenge_fetches_a_token_with_scope():
    challenge = {"WWW-Authenticate": 'Bearer realm="https://h/service/token",service="harbor-registry"'}
    manifest = {"config": {"digest": "sha256:abc"}}
    script = Script(http_error("u", 401, challenge), Resp(json.dumps({"token": "T"}).encode()),
                    Resp(json.dumps(manifest).encode()))
    reg = Registry("h", "admin", "pw", opener=script)
    assert reg.config_digest("skoala/hive", "v1") == "sha256:abc"
    token_url = script.calls[1][1]
    assert token_url.startswith("https://h/service/token?")
    assert "scope=repository%3Askoala%2Fhive%3Apull" in token_url
    assert script.calls[1][2]["Authorization"].startswith("Basic ")
    assert script.calls[2][2]["Authorization"] == "Bearer T"


def test_wrong_credentials_name_the_variables():
    script = Script(http_error("u", 401, {"WWW-Authenticate": 'Basic realm="r"'}), http_error("u", 401))
    with pytest.raises(RegistryError) as err:
        Registry("reg", "admin", "secret-pw", opener=script).ping()
    assert "rejected the credentials of user 'admin'" in str(err.value)
    assert "skoala_registry_password" in str(err.value)
    assert "secret-pw" not in str(err.value)


def test_missing_credentials_say_so():
    script = Script(http_error("u", 401, {"WWW-Authenticate": 'Basic realm="r"'}))
    with pytest.raises(RegistryError, match="needs credentials"):
        Registry("reg", opener=script).ping()


def test_plain_http_fallback_only_without_tls_verification():
    refused = URLError("ssl: wrong version number")
    script = Script(refused, Resp())
    reg = Registry("127.0.0.1:5000", tls_verify=False, opener=script)
    reg.ping()
    assert [c[1] for c in script.calls] == ["https://127.0.0.1:5000/v2/", "http://127.0.0.1:5000/v2/"]
    # with verification on there is no fallback, and the error says how to allow it
    with pytest.raises(RegistryError, match="plain-HTTP registries need skoala_registry_tls_verify: false"):
        Registry("127.0.0.1:5000", opener=Script(refused)).ping()


def test_unreachable_names_the_registry():
    script = Script(URLError("connection refused"), URLError("connection refused"))
    with pytest.raises(RegistryError, match=r"registry 127.0.0.1:9 is not reachable: connection refused"):
        Registry("127.0.0.1:9", tls_verify=False, opener=script).ping()


def test_missing_manifest_is_none_and_index_is_marked():
    script = Script(http_error("u", 404),
                    Resp(json.dumps({"manifests": []}).encode(), {"Docker-Content-Digest": "sha256:idx"}))
    reg = Registry("reg", opener=script)
    assert reg.config_digest("skoala/hive", "v1") is None
    assert reg.config_digest("skoala/hive", "v2") == "index:sha256:idx"
    assert "manifest.v2+json" in script.calls[0][2]["Accept"]


def test_server_error_is_reported():
    with pytest.raises(RegistryError, match="answered HTTP 500"):
        Registry("reg", opener=Script(http_error("u", 500))).ping()


def test_no_v2_api():
    with pytest.raises(RegistryError, match="does not speak the registry API v2"):
        Registry("reg", opener=Script(http_error("u", 404))).ping()
