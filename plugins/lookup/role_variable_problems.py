# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: role_variable_problems
short_description: This host's variables checked against the argument specs of several of the collection's roles
version_added: 0.1.0
description:
  - Reads C(meta/argument_specs.yml) of each named role of this collection
    and checks the variables of those roles that this host has (inventory,
    extra vars, play vars) against their declarations, as each role would
    when it starts. Returns one problem per bad variable, naming it, what is
    wrong and the role that declares it; none when all is well.
  - Only the variables the host has are checked; the roles apply their own
    defaults and requirements when they run.
  - A variable two roles declare with a different type, element type,
    choices or suboptions is an error that names both.
  - The preflight role checks the variables of upgrade.yml's roles with it,
    for every cluster in one call (option O(hosts)), before anything
    changes, and the playbook's later plays import those roles without
    checking them again; a role would otherwise
    check its variables only when its play starts, after the control plane
    was upgraded.
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  _terms:
    description: Role names of this collection, each C(role) (entry point C(main)) or C(role:entry_point).
    required: true
    type: list
    elements: str
  hosts:
    description:
      - Check these hosts instead of the current one, each with its own
        variables (C(hostvars)), and prefix each problem with the host's name.
      - C(hostvars) holds what a user sets (inventory, extra vars) and facts,
        not role defaults or play vars; those are the variables checked.
      - One call for a fleet reads the roles' specs once.
    type: list
    elements: str
notes:
  - Use it with C(query) (or C(wantlist=true)) to get a list.
  - A message may quote the value of a variable that is not secret (an int
    that is not a number); variables declared C(no_log) are strings, whose
    check quotes nothing.
"""

EXAMPLES = r"""
- name: The variables of the roles the upgrade runs have the types they declare
  ansible.builtin.assert:
    that: skoala_role_variable_problems | length == 0
    fail_msg: "{{ skoala_role_variable_problems }}"
  vars:
    skoala_role_variable_problems: "{{ query('dce5.skoala.role_variable_problems', 'upgrade_release', 'image_sync:node_load') }}"
"""

RETURN = r"""
_raw:
  description: One message per variable that does not match its declaration.
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.dce5.skoala.plugins.plugin_utils.role_options import (
    RoleOptionsError, role_options, variable_problems)

# plugins/lookup/role_variable_problems.py -> the collection's roles/
ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        unknown = sorted(set(kwargs) - {"hosts"})
        if unknown:
            raise AnsibleLookupError("dce5.skoala.role_variable_problems: unknown option(s) %s" % ", ".join(unknown))
        if not terms:
            raise AnsibleLookupError("dce5.skoala.role_variable_problems needs at least one role name")
        try:
            options = role_options(ROLES_DIR, [str(term) for term in terms])
        except RoleOptionsError as exc:
            raise AnsibleLookupError("dce5.skoala.role_variable_problems: %s" % exc) from None
        variables = variables or {}
        hosts = kwargs.get("hosts")
        if hosts is None:
            return self._problems(options, variables, lambda var: self._templar.template(variables[var]))
        # Each host's own variables, templated for it (hostvars): one read of
        # the roles' specs for the fleet, where each host would read them again.
        all_host_vars = variables.get("hostvars") or {}
        problems = []
        for host in hosts:
            if host not in all_host_vars:
                raise AnsibleLookupError("dce5.skoala.role_variable_problems: host %s is not in the inventory (hostvars)" % host)
            host_vars = all_host_vars[host]
            problems.extend("%s: %s" % (host, problem)
                            for problem in self._problems(options, host_vars, host_vars.__getitem__))
        return problems

    @staticmethod
    def _problems(options, variables, value_of):
        """Problems of the declared variables in ``variables``, each value
        read (templated) by ``value_of(name)``."""
        values, problems = {}, []
        for var in sorted(options):
            if var not in variables:
                continue
            try:
                values[var] = value_of(var)
            except AnsibleError as exc:
                first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                problems.append("argument '%s' could not be templated: %s" % (var, first_line))
        return problems + variable_problems(options, values)
