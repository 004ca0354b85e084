# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""A cluster's kubeconfig without its credentials: its contexts and the API
server the chosen one points at, what is wrong with the file or the context,
and what to say when the API server does not answer.

The modules read the file (``read_file``); the filter plugin
``dce5.skoala.skoala`` exposes ``kubeconfig_summary`` to roles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

try:
    import yaml
except ImportError:  # the controller always has it (ansible-core); targets that run kubernetes.core too
    yaml = None

from ansible_collections.dce5.skoala.plugins.module_utils.plain_text import one_line


def kubeconfig_summary(config, context=None):
    """Contexts of a kubeconfig and the API server the chosen one points at,
    with no credentials. ``config`` is the parsed kubeconfig, or its text
    (garbage text is an invalid kubeconfig, not an error that could echo it)."""
    if isinstance(config, (str, bytes)):
        try:
            config = yaml.safe_load(config)
        except yaml.YAMLError:
            config = None
    if not isinstance(config, dict) or not isinstance(config.get("contexts") or [], list):
        return {"valid": False, "contexts": [], "context": None, "context_found": False, "server": None}
    contexts = [c.get("name") for c in config.get("contexts") or [] if isinstance(c, dict)]
    chosen = context or config.get("current-context")
    server = None
    found = chosen in contexts
    if found:
        ctx = next(c for c in config["contexts"] if c.get("name") == chosen)
        cluster_name = (ctx.get("context") or {}).get("cluster")
        for cluster in config.get("clusters") or []:
            if isinstance(cluster, dict) and cluster.get("name") == cluster_name:
                server = (cluster.get("cluster") or {}).get("server")
    return {"valid": True, "contexts": contexts, "context": chosen, "context_found": found, "server": server}


def kubeconfig_file_problem(path, exists, is_file, readable):
    """What is wrong with the kubeconfig file, or None."""
    if not exists:
        what = "does not exist"
    elif not is_file:
        what = "is not a regular file"
    elif not readable:
        what = "is not readable"
    else:
        return None
    return "skoala_kubeconfig %s %s; point skoala_kubeconfig at this cluster's kubeconfig file." % (path, what)


def kubeconfig_context_problem(path, summary):
    """What is wrong with the chosen context of a kubeconfig_summary, or None."""
    if summary["valid"] and summary["context_found"]:
        return None
    if not summary["valid"]:
        return ("skoala_kubeconfig %s is not a kubeconfig (YAML with contexts and clusters); "
                "point skoala_kubeconfig at the kubeconfig file of the cluster." % path)
    chosen = ("context %s (skoala_kube_context)" % summary["context"]) if summary["context"] else "no current-context"
    return "%s not found in %s (it has: %s); set skoala_kube_context to one of them." % (
        chosen, path, ", ".join(summary["contexts"]) or "no contexts")


def read_file(path, context=None):
    """(summary, problem) of the kubeconfig file at ``path`` with ``context``:
    problem is None when the file is a kubeconfig with that context; summary
    is None when the file could not be read at all."""
    problem = kubeconfig_file_problem(path, os.path.exists(path), os.path.isfile(path), os.access(path, os.R_OK))
    if problem:
        return None, problem
    try:
        with open(path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
    except Exception:  # pylint: disable=broad-except
        config = None  # garbage is no kubeconfig, and its error could echo a secret
    summary = kubeconfig_summary(config, context)
    return summary, kubeconfig_context_problem(path, summary)


def unreachable_message(host, summary, path, error):
    """The API server of ``summary`` did not answer: ``error`` on one short line."""
    return ("%s: cannot reach the API server %s (kubeconfig %s, context %s): %s. "
            "Check the cluster is up and the kubeconfig points at it."
            % (host, summary.get("server") or "?", path, summary.get("context"), one_line(error, 400) or "unknown error"))
