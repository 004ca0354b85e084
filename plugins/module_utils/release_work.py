# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""What upgrade_release does around a release's chart, decided once.

Each task of a role is a worker process per cluster, skipped or not: at 16
workers a skipped task cost 0.4 to 1.1 s of the run. The work before the
chart (unpack, pre steps, the database upgrade on request, the user's tasks,
the record of the steps owed) and after it (post steps, their record, the
unpacked chart) are includes of their own, skipped as one task when there
is nothing to do; this decides which."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# recover_pending ran in its own play (or in the used-alone plan) before.
DONE_BEFORE = ("recover_pending",)


def work_of(plan, stale_jobs_done=False, chart_local=False, db_upgrade="auto", pre_upgrade_tasks=None):
    """The release's work around its chart, from its plan.

    ``stale_jobs_done``: the batch's deletion already did the delete_jobs step.
    ``chart_local``: the chart is a local path (offline bundle or unpacked
    directory), so nothing is unpacked for the steps that read its files."""
    steps = plan.get("steps") or []
    skipped = DONE_BEFORE + (("delete_jobs",) if stale_jobs_done else ())
    pre_steps = [s for s in steps if s.get("phase") == "pre" and s.get("name") not in skipped]
    post_steps = [s for s in steps if s.get("phase") == "post"]
    unpack = bool(plan.get("chart_files")) and not chart_local
    db_on_request = (plan.get("component") == "skoala" and db_upgrade == "always"
                     and "db_upgrade" not in [s.get("name") for s in steps])
    record_owed = bool(post_steps) and plan.get("action") != "finish"
    return {
        "pre_steps": pre_steps,
        "post_steps": post_steps,
        "unpack": unpack,
        "db_on_request": db_on_request,
        "record_owed": record_owed,
        "before_chart": bool(unpack or pre_steps or db_on_request or pre_upgrade_tasks or record_owed),
        "after_chart": bool(post_steps or unpack),
    }
