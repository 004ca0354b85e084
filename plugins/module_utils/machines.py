# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The machines helm runs on: Helm keeps its repositories per machine and
user, so a task that sets them up runs once per machine, not per cluster.

Pure functions; the filter plugin ``dce5.skoala.skoala`` exposes
``one_per_machine`` to roles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def helm_machine(host, host_vars):
    """Where a host's helm runs, as a key: Helm keeps its repositories per
    machine and user, so hosts with the same key share one repository list."""
    if host_vars.get("ansible_connection") == "local":
        return "local"
    return "%s@%s:%s" % (host_vars.get("ansible_user") or "", host_vars.get("ansible_host") or host,
                         host_vars.get("ansible_port") or "")


def one_per_machine(hosts, all_host_vars):
    """The first of ``hosts`` on each machine helm runs on, in order."""
    seen = set()
    chosen = []
    for host in hosts:
        key = helm_machine(host, all_host_vars[host])
        if key not in seen:
            seen.add(key)
            chosen.append(host)
    return chosen


def same_machine(hosts, host, all_host_vars):
    """The hosts of ``hosts`` reached from the same machine as ``host``, in
    order (``host`` among them): one process there can read them all."""
    key = helm_machine(host, all_host_vars[host])
    return [h for h in hosts if helm_machine(h, all_host_vars[h]) == key]
