# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The fleet lock: one ``coordination.k8s.io/v1`` Lease in the skoala
namespace of the control-plane cluster says which run is changing the fleet.

Pure decisions on plain data (the Lease as the API returns it); the module
``lease_lock`` reads, writes and reads back with them. A lock is

- free: no Lease, or one whose holder released it (empty holderIdentity);
- ours: its holder is this run's identity;
- stale: its ``leaseDurationSeconds`` (``skoala_lock_ttl``) ran out since
  ``renewTime``, or it was taken on this host by an ansible-playbook process
  that no longer exists (a killed or failed run);
- someone else's otherwise: refused, unless the operator asks for a takeover.

A workflow of several jobs (AWX/AAP, docs/awx.md) shares one lock: its jobs
pass the same ``skoala_run_id`` and take the lock ``shared``. A job of the
same run joins a shared lock; any other run is refused. A shared lock is
never judged stale by its process (the job that took it has ended by
design), only by its time to live or a takeover. The control-plane job
marks the Lease when its phase is complete for the run; worker slices
refuse to start without that mark (:func:`phase_problem`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import getpass
import os
import socket

from ansible_collections.dce5.skoala.plugins.module_utils.plain_text import one_line

ANNOTATION = "skoala.dce5.io/"
SHARED = ANNOTATION + "shared"
CONTROL_PLANE_DONE = ANNOTATION + "control-plane-done"
DEFAULT_NAME = "skoala-upgrade-lock"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def format_time(when):
    return when.astimezone(datetime.timezone.utc).strftime(TIME_FORMAT)


def parse_time(text):
    """A Lease's MicroTime (or an RFC 3339 time without fraction); None when
    missing or unreadable."""
    if not text or not isinstance(text, str):
        return None
    for fmt in (TIME_FORMAT, "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    return None


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except (OSError, ValueError):
        return ""


def _parent(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def playbook_pid(pid=None, cmdline=_cmdline, parent=_parent):
    """The pid of the ansible-playbook process running us. Filters run in a
    worker forked from it, whose command line is the same: the topmost of
    the ancestors whose command line names ansible-playbook."""
    pid = pid or os.getpid()
    found = None
    while pid > 1 and "ansible-playbook" in cmdline(pid):
        found = pid
        pid = parent(pid)
    return found or os.getppid()


def pid_alive(pid):
    """True when a process with this pid runs and is an ansible-playbook
    (a reused pid of another program does not keep a lock alive)."""
    try:
        pid = int(pid)
        os.kill(pid, 0)
    except PermissionError:
        return True  # it exists, as another user's process
    except (OSError, ValueError, TypeError):
        return False
    text = _cmdline(pid)
    return not text or "ansible-playbook" in text


def identity(run_id, user=None, host=None, pid=None, now=None):
    """Who this run is: the values written into the Lease."""
    user = user or _safe_user()
    host = host or socket.gethostname()
    pid = int(pid if pid is not None else playbook_pid())
    started = format_time(now or _now())
    return {
        "holder": "%s@%s pid %d run %s" % (user, host, pid, run_id),
        "owner": "%s@%s" % (user, host),
        "user": user,
        "host": host,
        "pid": pid,
        "run_id": str(run_id),
        "started": started,
    }


def _safe_user():
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in the environment or passwd
        return "uid%d" % os.getuid()


def holder_of(lease):
    """What a Lease says about its holder (plain dict), or None when free."""
    if not isinstance(lease, dict):
        return None
    spec = lease.get("spec") or {}
    holder = spec.get("holderIdentity")
    if not holder:
        return None
    ann = (lease.get("metadata") or {}).get("annotations") or {}
    pid = ann.get(ANNOTATION + "pid")
    try:
        pid = int(pid)
    except (TypeError, ValueError):
        pid = None
    return {
        "holder": holder,
        "owner": ann.get(ANNOTATION + "owner") or holder,
        "host": ann.get(ANNOTATION + "host"),
        "pid": pid,
        "run_id": ann.get(ANNOTATION + "run-id"),
        "started": ann.get(ANNOTATION + "started") or spec.get("acquireTime"),
        "renewed": spec.get("renewTime") or spec.get("acquireTime"),
        "ttl": spec.get("leaseDurationSeconds"),
        "shared": ann.get(SHARED) == "true",
        "control_plane_done": ann.get(CONTROL_PLANE_DONE),
    }


def lease_definition(me, name, namespace, ttl=0, resource_version=None, target=None, shared=False):
    """The Lease this run writes; with the resourceVersion of the Lease it
    replaces, so a concurrent change makes the write fail instead of
    silently winning."""
    metadata = {
        "name": name,
        "namespace": namespace,
        "labels": {"app.kubernetes.io/managed-by": "dce5.skoala"},
        "annotations": {
            ANNOTATION + "owner": me["owner"],
            ANNOTATION + "host": me["host"],
            ANNOTATION + "pid": str(me["pid"]),
            ANNOTATION + "run-id": me["run_id"],
            ANNOTATION + "started": me["started"],
            ANNOTATION + "target-version": str(target or ""),
            SHARED: "true" if shared else "false",
        },
    }
    if resource_version:
        metadata["resourceVersion"] = str(resource_version)
    spec = {"holderIdentity": me["holder"], "acquireTime": me["started"], "renewTime": me["started"]}
    if ttl and int(ttl) > 0:
        spec["leaseDurationSeconds"] = int(ttl)
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": spec}


def staleness(held, me, now=None, alive=pid_alive):
    """Why a held lock is stale, or None while its run may still be going."""
    now = now or _now()
    renewed = parse_time(held.get("renewed"))
    ttl = held.get("ttl")
    if ttl and renewed and (now - renewed).total_seconds() > int(ttl):
        return "its %ss time to live (skoala_lock_ttl) ran out at %s" % (
            ttl, format_time(renewed + datetime.timedelta(seconds=int(ttl))))
    # A workflow's jobs end one after another: its lock outlives their processes.
    if held.get("shared"):
        return None
    if held.get("host") and held["host"] == me["host"] and held.get("pid") and not alive(held["pid"]):
        return "its ansible-playbook process %s on this host (%s) is gone" % (held["pid"], me["host"])
    return None


def decide(lease, me, name, namespace, takeover=False, ttl=0, target=None, now=None, alive=pid_alive, shared=False):
    """What to do about the lock: a dict with ``action`` (``acquire``,
    ``takeover``, ``held``, ``join`` or ``refuse``), a ``message`` for the
    operator, and the Lease ``definition`` to write (for acquire and
    takeover). ``shared``: this run is a workflow whose jobs share the lock
    by run id (``join``: another job of the same run holds it)."""
    takeover = _truthy(takeover)
    shared = _truthy(shared)
    ttl = int(ttl or 0)
    held = holder_of(lease)
    resource_version = ((lease or {}).get("metadata") or {}).get("resourceVersion") if isinstance(lease, dict) else None
    where = "Lease %s/%s on the control-plane cluster" % (namespace, name)

    def write(action, message):
        return {"action": action, "message": message, "previous": held,
                "definition": lease_definition(me, name, namespace, ttl, resource_version, target, shared)}

    if held is None:
        return write("acquire", "%s: taken by %s" % (where, me["holder"]))
    if held["holder"] == me["holder"]:
        return {"action": "held", "message": "%s: held by this run (%s)" % (where, me["holder"]),
                "previous": held, "definition": None}
    if shared and held["shared"] and held["run_id"] == me["run_id"]:
        return {"action": "join", "message": "%s: held by this workflow run %s (%s)" % (where, me["run_id"], held["holder"]),
                "previous": held, "definition": None}
    stale = staleness(held, me, now, alive)
    if takeover or stale:
        why = "on request (skoala_lock_takeover)" if takeover else "because " + stale
        return write("takeover", "%s: taken over from %s (started %s) %s" % (
            where, held["holder"], held["started"] or "at an unknown time", why))
    return {
        "action": "refuse",
        "previous": held,
        "definition": None,
        "message": (
            "Another run holds the fleet lock: %s, held by %s (started %s). "
            "It may still be upgrading the fleet; wait for it to finish. If that run is dead "
            "(killed, or its machine gone), check that no ansible-playbook of it still runs, "
            "then take the lock over with -e skoala_lock_takeover=true "
            "(re-run with -e skoala_recover_pending=true if it left a release pending)."
            % (where, held["holder"], held["started"] or "at an unknown time")),
    }


def fleet_refusal(cluster_reads, run_id, name, namespace, takeover=False, ttl=0, shared=False, me=None):
    """Preflight's word on the fleet lock, from the Lease as the fleet read
    found it (``cluster_reads``: what cluster_read returned per cluster; the
    control plane's has ``lock``): the refusal message when another run
    that may still be going holds it, else None. Decided as lease_lock
    decides, so a stale lock, a takeover or a job of the same workflow run
    pass. Said first: a release that run is upgrading reads as pending-*,
    and recovering it then would undo that run's work."""
    leases = [r.get("lock") for r in cluster_reads or [] if isinstance(r, dict) and r.get("lock")]
    if not leases:
        return None
    me = me or identity(run_id)
    decision = decide(leases[0], me, name, namespace, takeover=takeover, ttl=ttl, shared=shared)
    return decision["message"] if decision["action"] == "refuse" else None


def not_held(check, write):
    """Why the lock read back after writing it is not this run's: ``check``
    is decide()'s on that read (another run's lock is refused), ``write``
    the result of writing the Lease."""
    if check["action"] in ("refuse", "join"):
        return check["message"]
    return "could not write the fleet lock: " + one_line((write or {}).get("msg") or "unknown error", 300)


def _truthy(value):
    """-e skoala_lock_takeover=false gives the string 'false': not a yes."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


def releasable(lease, me_holder):
    """True when the Lease is still held by the run ``me_holder`` (so the
    run may delete it at its end)."""
    held = holder_of(lease)
    return bool(held) and held["holder"] == me_holder


def releasable_by_run(lease, run_id):
    """True when the Lease is a shared (workflow) lock of run ``run_id``: the
    workflow's report job deletes it at the end."""
    held = holder_of(lease)
    return bool(held) and held["shared"] and held["run_id"] == str(run_id)


def phase_problem(lease, run_id, name="skoala-upgrade-lock", namespace="skoala-system"):
    """Why a worker slice of workflow run ``run_id`` must not start, or None:
    the run must hold the shared lock and its control-plane job must have
    marked the Lease (CONTROL_PLANE_DONE) for this run."""
    where = "Lease %s/%s on the control-plane cluster" % (namespace, name)
    held = holder_of(lease)
    if held is None:
        return ("The workers of run %s cannot start: no run holds the fleet lock (%s). Run the workflow from its "
                "preflight job with -e skoala_run_id=%s, then the control-plane job, then the workers."
                % (run_id, where, run_id))
    if held["run_id"] != str(run_id) or not held["shared"]:
        return ("The workers of run %s cannot start: the fleet lock (%s) is held by another run: %s (started %s). "
                "Wait for it to finish." % (run_id, where, held["holder"], held["started"] or "at an unknown time"))
    if held["control_plane_done"] != str(run_id):
        return ("The workers of run %s cannot start: the control-plane phase has not completed for this run "
                "(no %s=%s on the %s). Run (or re-run) the control-plane job of this workflow with "
                "-e skoala_run_id=%s first." % (run_id, CONTROL_PLANE_DONE, run_id, where, run_id))
    return None
