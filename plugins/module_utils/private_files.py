# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Files that may hold secrets (values backups, reports): 0600 in a 0700
directory, written through a temporary file and a rename, so a reader or a
killed run never sees half a file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

FILE_MODE = 0o600
DIR_MODE = 0o700


def same(path, content):
    """Whether ``path`` already holds ``content`` with the private mode."""
    try:
        if os.stat(path).st_mode & 0o777 != FILE_MODE:
            return False
        with open(path, "rb") as f:
            return f.read() == content.encode("utf-8")
    except (OSError, IOError):
        return False


def write(path, content):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def plan(directory, files):
    """Paths of ``files`` (name -> content) in ``directory`` that differ."""
    return [os.path.join(directory, name) for name, content in files.items()
            if not same(os.path.join(directory, name), content)]


def write_all(directory, files, check_mode=False):
    """Write what differs, in the order given (a backup's values before the
    metadata that names them); returns (changed paths, all paths)."""
    paths = [os.path.join(directory, name) for name in files]
    changed = plan(directory, files)
    if check_mode or not changed:
        return changed, paths
    if not os.path.isdir(directory):
        os.makedirs(directory, DIR_MODE)
    os.chmod(directory, DIR_MODE)
    for path in changed:
        write(path, files[os.path.basename(path)])
    return changed, paths
