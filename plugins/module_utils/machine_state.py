# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""What preflight needs of a machine the clusters are reached from, read by
the fleet_state run that reads its clusters: helm's version and the
directories the backups and reports will be written to.

Each was a task of its own (a process each: a command and a stat per
directory), about 1.8 s of a preflight's wall time on the sandbox; here they
cost the fleet read a fraction of a second.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.dce5.skoala.plugins.module_utils.plain_text import one_line

# helm's own Go template, so the output is the version and nothing else.
VERSION_TEMPLATE = "{{ .Version }}"


def find_binary(binary, get_bin_path):
    """The executable ``binary`` names: a path, or a name looked up in PATH
    by ``get_bin_path`` (AnsibleModule.get_bin_path); None when there is none."""
    if os.sep in binary:
        return binary if os.path.isfile(binary) and os.access(binary, os.X_OK) else None
    return get_bin_path(binary)


def helm_version(binary, find_binary, run_command):
    """``helm version`` of ``binary`` (a path, or a name looked up in PATH by
    ``find_binary``): ``binary``, ``rc`` (None when it was not found),
    ``version`` (empty unless rc is 0) and ``msg`` (why it failed)."""
    found = find_binary(binary)
    if not found:
        return {"binary": binary, "rc": None, "version": "", "msg": "not found"}
    rc, out, err = run_command([found, "version", "--template", VERSION_TEMPLATE])
    return {"binary": found, "rc": rc, "version": (out or "").strip() if rc == 0 else "",
            "msg": "" if rc == 0 else one_line(err or out or "exit %s" % rc, 300)}


def directory_state(path):
    """Whether ``path`` exists, is a directory, and can be written to."""
    exists = os.path.exists(path)
    isdir = os.path.isdir(path)
    return {"path": path, "exists": exists, "isdir": isdir,
            "writeable": bool(isdir and os.access(path, os.W_OK | os.X_OK))}
