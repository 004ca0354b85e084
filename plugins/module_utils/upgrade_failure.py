# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""What an operator reads when a release's helm upgrade failed: what failed,
where the release stands now, and what to do. Built here rather than in a
task's Jinja so every branch has a test."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dce5.skoala.plugins.module_utils.plain_text import one_line
from ansible_collections.dce5.skoala.plugins.module_utils.secrets import redact


def needs_rollback(after, atomic, plan, before_revision):
    """Whether the failed upgrade left a revision to roll back from: the
    collection rolls back itself (not helm's --atomic, whose rollback cannot
    get past skoala-init's admission Jobs)."""
    return bool(atomic and plan.get("action") == "upgrade" and before_revision is not None
                and after.get("installed") and after.get("revision") != before_revision)


def rollback_of(plan, before_revision):
    """The rollback to the revision before the upgrade, in the form
    backup.rollback_argv takes."""
    return {"release": plan["release"], "namespace": plan["namespace"], "revision": before_revision,
            "to": before_revision}


def message(host, plan, error, after, unread_error, before_revision, rollback, backup_file, secrets):
    """The failure message.

    ``after``: release_summary of the release read after the failure (and
    after the rollback, if one ran); ``unread_error``: helm_info's message
    when the release could not be read; ``rollback``: None when none was
    tried, else ``{"rc": ..., "stderr": ...}`` of helm rollback.
    """
    def clean(text, limit):
        return one_line(redact(text, secrets), limit)

    head = "%s: helm upgrade of %s %s -> %s failed: %s." % (
        host, plan["release"], plan.get("current") or "(new)", plan["target"], clean(error, 600))
    if unread_error:
        where = ("The release could not be read afterwards (%s): it may be left pending-upgrade. When the cluster "
                 "answers again, re-run with -e skoala_recover_pending=true (it rolls a pending release back first)."
                 % clean(unread_error, 200))
    else:
        now = "%s revision %s (%s)" % (after.get("chart") or "not installed", after.get("revision"), after.get("status"))
        if rollback is not None and rollback.get("rc") == 0:
            where = "Rolled back to revision %s: the release is now %s." % (before_revision, now)
        elif rollback is not None:
            where = ("The rollback to revision %s failed too (%s): the release is now %s."
                     % (before_revision, clean(rollback.get("stderr"), 300), now))
        elif after.get("revision") == before_revision:
            where = "The release was not changed: still %s." % now
        else:
            where = "The release is now %s." % now
    backup = "Backup: %s." % (backup_file or "none")
    return " ".join([head, where, backup,
                     "Fix the cause and re-run; or return to the backup with playbooks/rollback.yml."])


def message_of(host, failure):
    """message() with its arguments by name in one dict, as the role gathers
    them: ``plan``, ``error``, ``after``, ``unread_error``,
    ``before_revision``, ``rollback``, ``backup_file``, ``secrets``.
    ``rollback`` may be the registered result of a skipped task (no ``rc``):
    no rollback was tried then."""
    rollback = failure.get("rollback")
    if not isinstance(rollback, dict) or "rc" not in rollback:
        rollback = None
    return message(host, failure["plan"], failure.get("error") or "", failure.get("after") or {},
                   failure.get("unread_error") or "", failure.get("before_revision"), rollback,
                   failure.get("backup_file"), failure.get("secrets") or [])
