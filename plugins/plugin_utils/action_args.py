# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""One way for the collection's action plugins to check their task
arguments: against the argument spec their module shares, failing with the
validator's own messages, so a bad argument reads the same everywhere."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator


def validated_args(argument_spec, args, name):
    """``args`` checked against ``argument_spec`` (types converted, defaults
    filled in); AnsibleActionFail naming the action ``name`` otherwise."""
    validation = ArgumentSpecValidator(argument_spec).validate(dict(args or {}))
    if validation.error_messages:
        raise AnsibleActionFail("%s: %s" % (name, "; ".join(validation.error_messages)))
    return validation.validated_parameters
