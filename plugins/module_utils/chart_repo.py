# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""What an operator reads when the chart repository does not answer:
preflight's read of its index, and helm's refresh of it later on. Built
here so each branch has a test; the repository's credentials never show.

Pure functions; the filter plugin ``dce5.skoala.skoala`` exposes them to roles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dce5.skoala.plugins.module_utils.plain_text import one_line
from ansible_collections.dce5.skoala.plugins.module_utils.secrets import redact, strip_url_credentials


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
    said = one_line(strip_url_credentials(redact(said, [password])), 500)
    return ("%s: chart repository %s (%s) did not answer while refreshing its index, after preflight had read it: "
            "%s. Nothing was changed on %s by this step. Bring the repository back (or fix skoala_repo_url) and "
            "re-run; clusters already upgraded are left as they are." % (host, repo_name, repo_url, said, host))
