#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: repo_index
short_description: Read which versions of some charts a Helm chart repository offers, read-only
version_added: 0.1.0
description:
  - Reads O(url)C(/index.yaml) once, with basic authentication when O(username) is set
    (credentials in O(url) work too), following only safe redirects, and returns the versions
    of each chart of O(charts) listed there.
  - Fails, with a message that names the repository and the fix and never its credentials,
    when the repository does not answer, refuses the credentials, answers with another HTTP
    status, or returns something that is not a Helm repository index.
  - The preflight role runs it once per run, on the controller, before anything is added to
    Helm's own repository list.
  - Changes nothing, in any mode.
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  url:
    description: The chart repository's URL, as for C(helm repo add).
    type: str
    required: true
  username:
    description: User for the repository's basic authentication.
    type: str
  password:
    description: Password for the repository's basic authentication.
    type: str
  validate_certs:
    description: Whether to verify the repository's TLS certificate.
    type: bool
    default: true
  charts:
    description: The charts whose versions to return.
    type: list
    elements: str
    default: [skoala, skoala-init]
  timeout:
    description: Seconds to wait for the repository.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Chart versions the repository offers
  dce5.skoala.repo_index:
    url: https://release.daocloud.io/chartrepo/skoala
    username: "{{ skoala_repo_username }}"
    password: "{{ skoala_repo_password }}"
  register: skoala_repo_index
  run_once: true
"""

RETURN = r"""
versions:
  description: Each chart of O(charts) to the versions the index lists for it, in the index's order (empty if none).
  returned: success
  type: dict
  sample: {skoala: ["0.28.1", "0.19.2"], skoala-init: ["0.28.1", "0.19.2"]}
status:
  description: The HTTP status of the index's answer; -1 when nothing answered.
  returned: always
  type: int
  sample: 200
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dce5.skoala.plugins.module_utils import chart_repo


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            validate_certs=dict(type="bool", default=True),
            charts=dict(type="list", elements="str", default=["skoala", "skoala-init"]),
            timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    # A password written into the URL is as secret as the password option.
    module.no_log_values.update(chart_repo.url_secrets(module.params["url"]))
    p = module.params
    out = chart_repo.read_index(p["url"], p["charts"], p["username"], p["password"], p["validate_certs"], p["timeout"])
    if out["problem"]:
        module.fail_json(msg=out["problem"], status=out["status"])
    module.exit_json(changed=False, versions=out["versions"], status=out["status"])


if __name__ == "__main__":
    main()
