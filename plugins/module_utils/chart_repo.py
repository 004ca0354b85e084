# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Preflight's read of the chart repository's index (module
``dce5.skoala.repo_index``), and what an operator reads when the repository
does not answer: then, or at helm's refresh of it later on. Built here so
each branch has a test; the repository's credentials never show.

The message functions are pure; the filter plugin ``dce5.skoala.skoala``
exposes them to roles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

from ansible.module_utils.six.moves import http_client
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlparse
from ansible.module_utils.urls import open_url

from ansible_collections.dce5.skoala.plugins.module_utils.plain_text import one_line
from ansible_collections.dce5.skoala.plugins.module_utils.releases import chart_versions
from ansible_collections.dce5.skoala.plugins.module_utils.secrets import redact, strip_url_credentials

try:
    import yaml
    _YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core
    yaml = None


def index_problem(repo_url, status, error=""):
    """Why preflight could not read ``<repo_url>/index.yaml``: ``status`` is
    ansible.builtin.uri's (-1 when nothing answered, ``error`` then says why)."""
    status = int(status)
    answer = "HTTP %d" % status if status > 0 else "nothing"
    if status in (401, 403):
        answer += " (wrong or missing credentials: check skoala_repo_username / skoala_repo_password)"
    if status <= 0:
        answer += " (%s)" % strip_url_credentials(error)
    return "chart repository %s/index.yaml answered %s; fix skoala_repo_url or the repository before upgrading." % (
        repo_url, answer)


def refresh_failure(host, repo_name, repo_url, result, password=None):
    """Why ``helm repo update <repo_name>`` failed on ``host`` after preflight
    had read the index: what helm said (``result`` is the failed command's:
    stderr, else stdout, else Ansible's msg), on one line, without secrets."""
    result = result or {}
    said = result.get("stderr") or result.get("stdout") or result.get("msg") or ""
    said = one_line(strip_url_credentials(redact(said, [password] + url_secrets(repo_url))), 500)
    return ("%s: chart repository %s (%s) did not answer while refreshing its index, after preflight had read it: "
            "%s. Nothing was changed on %s by this step. Bring the repository back (or fix skoala_repo_url) and "
            "re-run; clusters already upgraded are left as they are."
            % (host, repo_name, strip_url_credentials(repo_url), said, host))


def url_secrets(url):
    """The password written into ``url`` (``https://user:pass@host``), as a
    list for no_log and redact; empty when there is none."""
    try:
        password = urlparse(str(url or "")).password
    except ValueError:
        return []
    return [password] if password else []


def read_index(repo_url, charts, username=None, password=None, validate_certs=True, timeout=30, opener=None):
    """Read ``<repo_url>/index.yaml``, as ansible.builtin.uri did for
    preflight (basic auth when a username is given, safe redirects only):
    ``{"status", "versions": {chart: [version, ...]}, "problem"}``; ``problem``
    is None when the index was read, else the message an operator reads."""
    url = repo_url.rstrip("/") + "/index.yaml"
    shown = strip_url_credentials(repo_url.rstrip("/"))
    try:
        resp = (opener or open_url)(url, method="GET", url_username=username or None, url_password=password or None,
                                    force_basic_auth=bool(username), validate_certs=validate_certs, timeout=timeout,
                                    follow_redirects="safe", http_agent="ansible-httpget")
        content = resp.read()
    except HTTPError as exc:
        return {"status": exc.code, "versions": {}, "problem": index_problem(shown, exc.code)}
    # http_client.HTTPException: a TLS port spoken to in plain HTTP, a cut
    # answer, a port that is not a number; what uri reported as status -1.
    except (URLError, socket.error, ValueError, http_client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        said = redact(str(reason), [password] + url_secrets(repo_url))
        return {"status": -1, "versions": {}, "problem": index_problem(shown, -1, said)}
    try:
        index = yaml.load(content, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        index, error = None, one_line(str(exc), 200)
    else:
        error = "" if isinstance(index, dict) and isinstance(index.get("entries"), dict) else "no entries in it"
    if error:
        return {"status": 200, "versions": {}, "problem": (
            "chart repository %s/index.yaml is not a Helm repository index (%s); fix skoala_repo_url or the "
            "repository before upgrading." % (shown, error))}
    return {"status": 200, "versions": dict((chart, chart_versions(index, chart)) for chart in charts), "problem": None}


# helm exits 0 when a repository it was asked to update did not answer, and
# says so on stdout (helm 3: "...Unable to get an update from the ...").
HELM_UPDATE_FAILED = "Unable to get an update"


def known_at(repo_name, repo_url, helm_binary, run_command):
    """Whether helm on this machine knows ``repo_name`` at ``repo_url``
    (``helm repo list -o json``; a trailing slash does not count). helm
    exits 1 when it knows no repository at all: that is a no. A repository
    of that name at another URL is a no too: adding it then fails with the
    command that removes it."""
    rc, out, dummy = run_command([helm_binary, "repo", "list", "-o", "json"])
    if rc != 0:
        return False
    try:
        repos = json.loads(out or "[]")
    except ValueError:
        return False
    want = repo_url.rstrip("/")
    return any(isinstance(r, dict) and r.get("name") == repo_name and (r.get("url") or "").rstrip("/") == want
               for r in repos or [])


def refresh(repo_name, helm_binary, run_command):
    """``helm repo update <repo_name>``: only that repository's index, not
    every repository the machine knows. ``run_command(argv)`` returns
    (rc, stdout, stderr). ``{"rc", "stdout", "stderr", "failed"}``; failed
    also when helm exited 0 but said the repository did not answer."""
    rc, out, err = run_command([helm_binary, "repo", "update", repo_name])
    return {"rc": rc, "stdout": out, "stderr": err, "failed": rc != 0 or HELM_UPDATE_FAILED in (out or "")}
