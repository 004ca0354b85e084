# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The run id: one per run of a playbook, shared by the backups it writes,
the fleet lock it takes and the report it leaves.

Preflight sets ``skoala_run_id`` once for the whole play; a role used alone
makes its own with :func:`new_run_id`. A workflow that spans several jobs
(AWX) passes one in with ``-e skoala_run_id=...``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

# Sorts in time order as text; safe in file names and Kubernetes annotations.
FORMAT = "%Y%m%dT%H%M%SZ"
_VALID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$")


def new_run_id(now=None):
    """A run id for ``now`` (a datetime; the current UTC time if None)."""
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    elif now.tzinfo is not None:
        now = now.astimezone(datetime.timezone.utc)
    return now.strftime(FORMAT)


def run_id_problem(value):
    """Why ``value`` cannot be a run id, or None. Run ids name backup files,
    so they hold letters, digits, dots and dashes only (no ``_``, which
    separates the parts of a backup's name)."""
    if not isinstance(value, str) or not _VALID.match(value):
        return ("skoala_run_id is %r; use 1 to 63 letters, digits, dots or dashes, starting with a letter or "
                "digit (e.g. %s), or leave it unset" % (value, new_run_id()))
    return None
