#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lease_lock
short_description: Take or release the fleet lock, a Lease on the control-plane cluster
description:
  - Takes the C(coordination.k8s.io/v1) Lease that says which run is changing the fleet
    (O(state=acquired)), or deletes it if this run still holds it (O(state=released)).
  - Acquiring reads the Lease, decides (free, held by this run, stale, or another run's),
    writes it with the C(resourceVersion) it read, so that a concurrent change makes the
    write fail, and reads it back. One process for what took four C(kubernetes.core) runs.
  - The decisions are those of C(module_utils/lock.py); the role C(dce5.skoala.fleet_lock) uses this module.
  - Another run's lock fails the task, naming the holder (user@host, pid, run id, start time)
    and how to take it over. Check mode reads and decides, and writes nothing.
  - A lock taken on this host by an ansible-playbook process that is gone is stale. The process is
    looked for on the machine the module runs on, which is the controller when the control plane is reached
    with C(ansible_connection=local) as the inventories in the docs do.
version_added: 0.1.0
author:
  - dce5.skoala contributors (@dce5-skoala)
extends_documentation_fragment:
  - dce5.skoala.cluster_connection
options:
  state:
    description: C(acquired) takes the lock for this run; C(released) deletes it if this run holds it.
    type: str
    choices: [acquired, released]
    default: acquired
  name:
    description: Name of the Lease.
    type: str
    default: skoala-upgrade-lock
  namespace:
    description: Namespace of the Lease; created when missing (the release will live there anyway).
    type: str
    default: skoala-system
  cluster:
    description: The cluster's name in the inventory, for messages.
    type: str
    required: true
  me:
    description:
      - This run's identity, from the filter C(dce5.skoala.lock_identity). Required with O(state=acquired).
    type: dict
    suboptions:
      holder:
        description: The holder identity written into the Lease (user@host pid N run ID).
        type: str
        required: true
      owner:
        description: user@host.
        type: str
        required: true
      user:
        description: The user running the playbook.
        type: str
      host:
        description: The machine running the playbook.
        type: str
        required: true
      pid:
        description: The ansible-playbook process.
        type: int
        required: true
      run_id:
        description: The run id.
        type: str
        required: true
      started:
        description: When the run took the lock (MicroTime).
        type: str
        required: true
  holder:
    description: The holder identity to release. Required with O(state=released).
    type: str
  takeover:
    description: Take the lock over from another run (only when that run is dead).
    type: bool
    default: false
  ttl:
    description: Seconds after its renewal when a lock counts as stale; 0 never expires.
    type: int
    default: 0
  target:
    description: The target version of the run, written into the Lease's annotations.
    type: str
  shared:
    description:
      - The run is a workflow of several jobs (AWX/AAP, see docs/awx.md) that share the lock by run id.
      - A job of the same run joins a shared lock (C(join)); any other run is refused.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Take the fleet lock
  dce5.skoala.lease_lock:
    kubeconfig: /etc/dce5/global.kubeconfig
    cluster: dce-global
    me: "{{ skoala_run_id | dce5.skoala.lock_identity }}"
    target: 0.28.1

- name: Release it at the end of the run
  dce5.skoala.lease_lock:
    kubeconfig: /etc/dce5/global.kubeconfig
    cluster: dce-global
    state: released
    holder: "{{ skoala_lock.holder }}"
"""

RETURN = r"""
action:
  description: C(acquire), C(takeover), C(held) or C(join) (taking); C(release) or C(none) (releasing).
  returned: always
  type: str
message:
  description: What was decided, for the operator.
  returned: always
  type: str
previous:
  description: The holder the Lease named before (holder, owner, host, pid, run_id, started, renewed, ttl).
  returned: when the Lease was held
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.dce5.skoala.plugins.module_utils import lock
from ansible_collections.dce5.skoala.plugins.module_utils.connection import CONNECTION_ARGS
from ansible_collections.dce5.skoala.plugins.module_utils.kube import KUBERNETES_IMPORT_ERROR, ApiException, api_client, client

TIMEOUT = 30


class Leases(object):
    """The Lease and its namespace through the API client, as plain dicts."""

    def __init__(self, api, name, namespace):
        self.api = api
        self.coordination = client.CoordinationV1Api(api)
        self.name = name
        self.namespace = namespace

    def read(self):
        try:
            lease = self.coordination.read_namespaced_lease(self.name, self.namespace, _request_timeout=TIMEOUT)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return self.api.sanitize_for_serialization(lease)

    def write(self, definition):
        """Replace the Lease read (its resourceVersion guards the write) or create it."""
        if definition["metadata"].get("resourceVersion"):
            self.coordination.replace_namespaced_lease(self.name, self.namespace, definition,
                                                       _request_timeout=TIMEOUT)
            return
        core = client.CoreV1Api(self.api)
        try:
            core.read_namespace(self.namespace, _request_timeout=TIMEOUT)
        except ApiException as exc:
            if exc.status != 404:
                raise
            core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}},
                                  _request_timeout=TIMEOUT)
        self.coordination.create_namespaced_lease(self.namespace, definition, _request_timeout=TIMEOUT)

    def delete(self):
        try:
            self.coordination.delete_namespaced_lease(self.name, self.namespace, _request_timeout=TIMEOUT)
        except ApiException as exc:
            if exc.status != 404:
                raise


def acquire(module, leases):
    p = module.params
    decision = lock.decide(leases.read(), p["me"], p["name"], p["namespace"], p["takeover"], p["ttl"], p["target"],
                           shared=p["shared"])
    result = dict(changed=False, action=decision["action"], message=decision["message"],
                  previous=decision["previous"])
    if decision["action"] == "refuse":
        module.fail_json(msg="%s: %s" % (p["cluster"], decision["message"]), **result)
    if decision["action"] in ("held", "join") or module.check_mode:
        return result
    write_error = None
    try:
        leases.write(decision["definition"])
    except ApiException as exc:
        # A concurrent change (409) or create: the read back says whose it is now.
        write_error = {"msg": "%s %s" % (exc.status, exc.reason)}
    check = lock.decide(leases.read(), p["me"], p["name"], p["namespace"])
    if check["action"] != "held":
        module.fail_json(msg="%s: %s" % (p["cluster"], lock.not_held(check, write_error)), **result)
    return result


def release(module, leases):
    p = module.params
    if not lock.releasable(leases.read(), p["holder"]):
        return dict(changed=False, action="none",
                    message="Lease %s/%s: not held by this run, left as it is" % (p["namespace"], p["name"]))
    if not module.check_mode:
        leases.delete()
    return dict(changed=False, action="release",
                message="Lease %s/%s: released by %s" % (p["namespace"], p["name"], p["holder"]))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CONNECTION_ARGS,
            state=dict(type="str", choices=["acquired", "released"], default="acquired"),
            name=dict(type="str", default=lock.DEFAULT_NAME),
            namespace=dict(type="str", default="skoala-system"),
            cluster=dict(type="str", required=True),
            me=dict(type="dict", options=dict(
                holder=dict(type="str", required=True),
                owner=dict(type="str", required=True),
                user=dict(type="str"),
                host=dict(type="str", required=True),
                pid=dict(type="int", required=True),
                run_id=dict(type="str", required=True),
                started=dict(type="str", required=True),
            )),
            holder=dict(type="str"),
            takeover=dict(type="bool", default=False),
            ttl=dict(type="int", default=0),
            target=dict(type="str"),
            shared=dict(type="bool", default=False),
        ),
        required_if=[("state", "acquired", ["me"]), ("state", "released", ["holder"])],
        supports_check_mode=True,
    )
    if KUBERNETES_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    p = module.params
    try:
        leases = Leases(api_client(p["kubeconfig"], p["context"]), p["name"], p["namespace"])
        result = acquire(module, leases) if p["state"] == "acquired" else release(module, leases)
    except ApiException as exc:
        module.fail_json(msg="%s: the fleet lock (Lease %s/%s) could not be read or written: %s %s" % (
            p["cluster"], p["namespace"], p["name"], exc.status, exc.reason))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
