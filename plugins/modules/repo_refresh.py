#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: repo_refresh
short_description: Refresh one Helm chart repository's index on this machine, if Helm knows it
version_added: 0.1.0
description:
  - Runs C(helm repo update NAME), which downloads the index of that repository only, not of
    every repository Helm knows on the machine (as M(kubernetes.core.helm)'s C(update_repo_cache)
    would).
  - With O(url), first reads C(helm repo list); when Helm does not know O(name) at O(url), it
    refreshes nothing and returns C(known=false), so that the caller adds the repository
    (M(kubernetes.core.helm_repository) downloads the index as it adds it).
  - Fails when helm fails, and also when helm exits 0 but says it could not get an update (helm 3
    does that when the repository does not answer); C(stdout) and C(stderr) then say what helm said.
  - Touches only Helm's own cache on the machine it runs on, never a cluster, and reports no change.
    In check mode it does not refresh, unless the task turns check mode off for it (C(check_mode=false)),
    as the C(dce5.skoala.helm_repo) role does, so that C(--check --diff) compares against the new charts.
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  name:
    description: The repository's name in Helm's list (C(helm repo list)).
    type: str
    required: true
  url:
    description:
      - The repository's URL. When set, the index is refreshed only if Helm knows O(name) at this URL
        (a trailing slash does not count).
    type: str
  binary_path:
    description: Helm, as a path or a name looked up in C(PATH).
    type: str
    default: helm
"""

EXAMPLES = r"""
- name: Refresh only that repository's index
  dce5.skoala.repo_refresh:
    name: skoala
  check_mode: false

- name: Refresh it if helm knows it at this URL; else say so
  dce5.skoala.repo_refresh:
    name: skoala
    url: https://release.daocloud.io/chartrepo/skoala
  check_mode: false
  register: skoala_repo_refreshed

- name: Add it, which downloads its index too
  kubernetes.core.helm_repository:
    name: skoala
    repo_url: https://release.daocloud.io/chartrepo/skoala
  when: not skoala_repo_refreshed.known
"""

RETURN = r"""
known:
  description:
    - Whether Helm knew O(name) (at O(url), when set) and its index was refreshed.
    - False also when Helm is not found and O(url) is set, so that the caller's add says so.
    - Null in check mode, where nothing is refreshed.
  returned: success
  type: bool
  sample: true
rc:
  description: Helm's exit code of C(helm repo update).
  returned: when the index was refreshed, or its refresh failed
  type: int
  sample: 0
stdout:
  description: What helm printed.
  returned: when the index was refreshed, or its refresh failed
  type: str
  sample: "...Successfully got an update from the \"skoala\" chart repository"
stderr:
  description: What helm printed on its error output.
  returned: when the index was refreshed, or its refresh failed
  type: str
  sample: ""
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dce5.skoala.plugins.module_utils import chart_repo, machine_state


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            url=dict(type="str"),
            binary_path=dict(type="str", default="helm"),
        ),
        supports_check_mode=True,
    )
    # A password written into the URL is as secret as the password option.
    module.no_log_values.update(chart_repo.url_secrets(module.params["url"]))
    if module.check_mode:
        module.exit_json(changed=False, skipped=True, known=None, msg="check mode: the index was not refreshed")
    binary = module.params["binary_path"]
    found = machine_state.find_binary(binary, module.get_bin_path)
    name, url = module.params["name"], module.params["url"]
    if not found:
        if url:
            # The caller adds the repository next, and its add says helm is missing.
            module.exit_json(changed=False, known=False, msg="helm (%s) not found on this machine" % binary)
        module.fail_json(msg="helm (%s) not found on this machine; set skoala_helm_binary" % binary)

    def run(argv):
        return module.run_command(argv, check_rc=False)
    if url and not chart_repo.known_at(name, url, found, run):
        module.exit_json(changed=False, known=False)
    out = chart_repo.refresh(name, found, run)
    failed = out.pop("failed")
    if failed:
        module.fail_json(msg="helm repo update %s failed" % name, **out)
    module.exit_json(changed=False, known=True, **out)


if __name__ == "__main__":
    main()
