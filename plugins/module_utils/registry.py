# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""A small client of the registry HTTP API v2 (Docker Distribution, Harbor):
reachability, credentials (basic and bearer-token challenges) and manifest
lookups, enough to tell whether an image is already there."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import open_url

MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
])


ANY_SCOPE = "*"


class RegistryError(Exception):
    """A registry problem; messages name the registry and never a secret."""


def _reason(exc):
    reason = getattr(exc, "reason", None) or exc
    return str(reason)[:200] or exc.__class__.__name__


def _challenge(header):
    """'Bearer realm="x",service="y"' -> ('bearer', {'realm': 'x', 'service': 'y'})."""
    scheme, dummy, rest = (header or "").partition(" ")
    params = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            params[key.strip().lower()] = value.strip().strip('"')
    return scheme.lower(), params


class Registry:
    def __init__(self, host, username=None, password=None, tls_verify=True, timeout=30, opener=None):
        self.host = host.rstrip("/")
        self.username = username or None
        self.password = password or None
        self.tls_verify = tls_verify
        self.timeout = timeout
        self.open = opener or open_url
        # Without TLS verification, plain HTTP is tried after HTTPS, as skopeo does.
        self.schemes = ["https"] if tls_verify else ["https", "http"]
        self.tokens = {}  # bearer token per scope
        self.auth = {}  # Authorization header that worked, per scope

    # --- transport -------------------------------------------------------

    def _basic(self):
        raw = ("%s:%s" % (self.username, self.password)).encode("utf-8")
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def _open(self, method, url, headers):
        return self.open(url, method=method, headers=headers, validate_certs=self.tls_verify,
                         timeout=self.timeout, follow_redirects="safe")

    def _token(self, params, scope):
        if scope in self.tokens:
            return self.tokens[scope]
        query = {"service": params.get("service", "")}
        if scope:
            query["scope"] = scope
        headers = {"Authorization": self._basic()} if self.username else {}
        try:
            resp = self._open("GET", params["realm"] + "?" + urlencode(query), headers)
            body = json.loads(resp.read().decode("utf-8"))
        except HTTPError as exc:
            raise self._denied(exc.code)
        except (URLError, ValueError, KeyError, OSError) as exc:
            raise RegistryError("registry %s: its token service did not answer: %s" % (self.host, _reason(exc)))
        token = body.get("token") or body.get("access_token")
        self.tokens[scope] = token
        return token

    def _denied(self, code):
        if self.username:
            return RegistryError(
                "registry %s rejected the credentials of user %r (HTTP %s); fix skoala_registry_username / "
                "skoala_registry_password" % (self.host, self.username, code))
        return RegistryError(
            "registry %s needs credentials (HTTP %s); set skoala_registry_username and skoala_registry_password"
            % (self.host, code))

    def request(self, method, path, headers=None, scope=""):
        """(status, headers, body) of one call; 404 is an answer, not an error."""
        last = None
        for scheme in self.schemes:
            url = "%s://%s%s" % (scheme, self.host, path)
            try:
                return self._authorised(method, url, dict(headers or {}), scope)
            except HTTPError as exc:
                if exc.code == 404:
                    return 404, exc.headers, b""
                if exc.code in (401, 403):
                    raise self._denied(exc.code)
                raise RegistryError("registry %s answered HTTP %s to %s %s" % (self.host, exc.code, method, path))
            except (URLError, OSError, ValueError) as exc:
                last = exc
                continue
        raise RegistryError("registry %s is not reachable: %s; check skoala_offline_registry and that the registry "
                            "is up%s" % (self.host, _reason(last),
                                         "" if not self.tls_verify else
                                         " (plain-HTTP registries need skoala_registry_tls_verify: false)"))

    def _authorised(self, method, url, headers, scope):
        auth = self.auth.get(scope) or self.auth.get(ANY_SCOPE)
        if auth:
            headers["Authorization"] = auth
        try:
            resp = self._open(method, url, headers)
        except HTTPError as exc:
            if exc.code != 401 or auth:
                raise
            scheme, params = _challenge(exc.headers.get("WWW-Authenticate", ""))
            if scheme == "bearer" and "realm" in params:
                auth, key = "Bearer %s" % self._token(params, scope), scope
            elif scheme == "basic" and self.username:
                # Basic credentials hold for every repository: no challenge per image.
                auth, key = self._basic(), ANY_SCOPE
            else:
                raise
            self.auth[key] = auth
            headers["Authorization"] = auth
            resp = self._open(method, url, headers)
        return resp.getcode() if hasattr(resp, "getcode") else resp.status, resp.headers, resp.read()

    # --- API ------------------------------------------------------------

    def ping(self):
        """Fail unless the registry answers and accepts the credentials."""
        status, dummy, dummy2 = self.request("GET", "/v2/")
        if status == 404:
            raise RegistryError("registry %s does not speak the registry API v2 (no /v2/)" % self.host)

    def config_digest(self, repository, tag):
        """The config digest of ``repository:tag``, ``index:<digest>`` for a
        multi-arch index, or None when the tag is not there."""
        status, headers, body = self.request(
            "GET", "/v2/%s/manifests/%s" % (repository, tag), {"Accept": MANIFEST_TYPES},
            scope="repository:%s:pull" % repository)
        if status == 404:
            return None
        try:
            doc = json.loads(body.decode("utf-8"))
        except ValueError:
            raise RegistryError("registry %s returned a manifest for %s:%s that is not JSON" % (self.host, repository, tag))
        if isinstance(doc.get("config"), dict):
            return doc["config"].get("digest")
        return "index:%s" % (headers.get("Docker-Content-Digest") or "?")
