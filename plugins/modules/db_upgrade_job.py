#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: db_upgrade_job
short_description: Run skoala's database upgrade Job (sweet) and wait for it
version_added: 0.1.0
description:
  - Upgrading skoala from below 0.19.0 to 0.19.0 or later needs the database
    upgraded first by the C(sweet) component (C(type=UPGRADE),
    C(target=0.17.0), C(tag=v0.19.0)). This module runs that as a Job in the
    control-plane cluster and waits until it completes or fails.
  - By default it builds the Job itself. The C(sweet) settings reach the
    container as a mounted config file (ConfigMap), and the database
    connection as a mounted file from a Secret the module creates; the DSN is
    never in an environment value, an argument, the Job spec or the output.
  - With O(job_manifest), it applies the vendor's job.yaml instead, with the
    C(sweet) fields set as the vendor's page instructs and nothing else changed.
  - Idempotent. A Job for the same C(sweet) settings that already completed
    (or whose completion was recorded before the Job was cleaned up) means
    C(changed=false). A failed earlier attempt is replaced.
  - An action plugin of the same name prints progress while it waits.
author:
  - dce5.skoala contributors (@dce5-skoala)
extends_documentation_fragment:
  - dce5.skoala.cluster_connection
options:
  namespace:
    description: Namespace of the Job (created if missing).
    type: str
    default: skoala-system
  name:
    description: Name of the Job; its ConfigMap and Secret are named after it.
    type: str
    default: skoala-db-upgrade
  sweet:
    description: The C(sweet) settings; the defaults are the fixed values of the vendor's page.
    type: dict
    default: {}
    suboptions:
      type:
        description: Operation.
        type: str
        default: UPGRADE
      target:
        description: Schema version to upgrade from.
        type: str
        default: 0.17.0
      tag:
        description: sweet version.
        type: str
        default: v0.19.0
  database:
    description:
      - The database connection, as the skoala release's values hold it
        (C(hive.configMap.database[0])). Required unless O(job_manifest) is given.
    type: dict
    suboptions:
      driver:
        description: Database driver.
        type: str
        default: mysql
      dsn:
        description: Go MySQL DSN, C(user:password@tcp(host:port)/db?params). Never printed.
        type: str
        required: true
  image_repository:
    description: Image repository of the DB upgrade container.
    type: str
    default: release.daocloud.io/skoala/sweet
  image_tag:
    description: Image tag; defaults to the C(sweet) tag.
    type: str
  image_registry:
    description: Replaces the registry of O(image_repository), like C(global.imageRegistry) (offline installs).
    type: str
  job_manifest:
    description: Path of the vendor's job.yaml to apply instead of the built-in Job.
    type: path
  backoff_limit:
    description: Retries of the Job's pod before the Job fails.
    type: int
    default: 0
  cleanup:
    description:
      - What happens to a finished Job. C(ttl) sets C(ttlSecondsAfterFinished)
        (O(ttl_seconds)); C(delete_on_success) deletes a completed Job (and
        with it its Secret) at once; C(keep) leaves it.
      - A failed Job is always kept for inspection until the next run replaces it.
    type: str
    choices: [ttl, delete_on_success, keep]
    default: delete_on_success
  ttl_seconds:
    description: C(ttlSecondsAfterFinished) when O(cleanup=ttl).
    type: int
    default: 3600
  pod_labels:
    description: Extra labels on the Job's pod (the sandbox uses one to make a Job fail).
    type: dict
    default: {}
  state:
    description:
      - C(present) makes sure the Job for these settings exists or has completed, and waits when O(wait).
      - C(status) only reads the Job (and finishes its bookkeeping when done).
    type: str
    choices: [present, status]
    default: present
  wait:
    description: Wait for the Job to complete or fail.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait before failing with the Job's state.
    type: int
    default: 600
  poll_interval:
    description: Seconds between reads while waiting.
    type: float
    default: 2
notes:
  - Check mode creates nothing and returns the objects it would create,
    Secret values masked; diff mode shows them.
requirements:
  - kubernetes >= 24.2.0 (Python)
"""

EXAMPLES = r"""
- name: Read the skoala values (they hold the DSN)
  kubernetes.core.helm_info:
    release_name: skoala
    release_namespace: skoala-system
    kubeconfig: ~/.kube/global.yaml
  register: skoala_values
  no_log: true

- name: Upgrade the database before skoala 0.19.x
  dce5.skoala.db_upgrade_job:
    kubeconfig: ~/.kube/global.yaml
    database: "{{ skoala_values.status.values.hive.configMap.database[0] }}"
    wait_timeout: 900

- name: Or run the vendor's job.yaml with the sweet fields set
  dce5.skoala.db_upgrade_job:
    kubeconfig: ~/.kube/global.yaml
    job_manifest: files/job.yaml
"""

RETURN = r"""
job:
  description: Name and namespace of the Job.
  returned: always
  type: dict
  sample: {name: skoala-db-upgrade, namespace: skoala-system}
state:
  description: C(complete), C(failed), C(running), or C(absent) (check mode, nothing created).
  returned: always
  type: str
  sample: complete
sweet:
  description: The sweet settings used.
  returned: always
  type: dict
  sample: {type: UPGRADE, target: 0.17.0, tag: v0.19.0}
details:
  description: Job conditions and pod phases, when the Job did not complete.
  returned: when failed
  type: list
  elements: str
  sample: ["condition Failed=True BackoffLimitExceeded: Job has reached the specified backoff limit"]
logs:
  description: Tail of each pod's log (secrets masked), where the cluster provides logs.
  returned: when failed
  type: dict
  sample: {skoala-db-upgrade-abcde: "connecting to ********"}
objects:
  description: The objects created, or that would be created in check mode, Secret values masked.
  returned: when created or in check mode
  type: list
  elements: dict
  sample: []
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.dce5.skoala.plugins.module_utils import jobs, secrets
from ansible_collections.dce5.skoala.plugins.module_utils.db_job import DbUpgrade
from ansible_collections.dce5.skoala.plugins.module_utils.kube import KUBERNETES_IMPORT_ERROR


def main():
    module = AnsibleModule(argument_spec=jobs.ARGUMENT_SPEC, supports_check_mode=True)
    if KUBERNETES_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    if jobs.YAML_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=jobs.YAML_IMPORT_ERROR)
    from ansible_collections.dce5.skoala.plugins.module_utils.kube import Kube
    try:
        kube = Kube(module.params.get("kubeconfig"), module.params.get("context"))
        runner = DbUpgrade(module.params, kube, check_mode=module.check_mode)
        result = runner.run()
    except (ValueError, secrets.DsnError) as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # noqa: BLE001 - report any API error, masked
        masked = secrets.secrets_in({"dsn": (module.params.get("database") or {}).get("dsn")})
        module.fail_json(msg=secrets.redact("DB upgrade Job: %s" % exc, masked),
                         exception=secrets.redact(traceback.format_exc(), masked))
    if result.get("timed_out"):
        module.fail_json(msg="DB upgrade Job %s/%s did not finish within %ss: %s" % (
            runner.ns, runner.job_name, module.params["wait_timeout"], "; ".join(result.get("details") or [])),
            **result)
    if result["state"] == "failed":
        module.fail_json(msg="DB upgrade Job %s/%s failed: %s" % (
            runner.ns, runner.job_name, "; ".join(result.get("details") or [])), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
