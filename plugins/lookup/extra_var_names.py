# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: extra_var_names
short_description: Names of the variables given with -e on the command line
version_added: 0.1.0
description:
  - Returns the names, never the values, of this run's extra variables
    (C(-e name=value), C(-e '{json}'), C(-e @file.yml)), sorted.
  - Ansible templates play keywords such as C(serial) and
    C(max_fail_percentage) without any host's variables, so a value set in
    the inventory never reaches them. The preflight role uses this lookup to
    refuse C(skoala_workers_serial) or C(skoala_max_fail_percentage) set only
    in the inventory, instead of silently upgrading every worker at once.
author:
  - dce5.skoala contributors (@dce5-skoala)
options: {}
notes:
  - Reads the command line of the running C(ansible-playbook); takes no terms.
"""

EXAMPLES = r"""
- name: Refuse a batch size the workers' play would not see
  ansible.builtin.assert:
    that: >-
      skoala_workers_serial is not defined
      or 'skoala_workers_serial' in query('dce5.skoala.extra_var_names')
    fail_msg: Pass skoala_workers_serial with -e, not in the inventory.
"""

RETURN = r"""
_raw:
  description: Names of the extra variables of this run, sorted.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.vars import load_extra_vars


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError("dce5.skoala.extra_var_names takes no terms")
        return sorted(load_extra_vars(self._loader))
