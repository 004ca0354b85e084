# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The options of several roles' argument specs as one spec, and a host's
variables checked against it: preflight checks every variable of
upgrade.yml's roles this way, on every cluster, before anything changes
(lookup ``dce5.skoala.role_variable_problems``).

Each role keeps its own ``meta/argument_specs.yml``: this only reads them.
A role checks its arguments when it starts, and upgrade.yml's later plays
start after the control plane was upgraded; checked here, a bad value on one
worker stops the run in preflight instead."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

# libyaml's loader when PyYAML has it: several times faster on these files.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# What makes two roles' declarations of one variable the same check.
CHECKED_KEYS = ("type", "elements", "choices", "options")
# Only what a user set is checked: a role's own default and what it requires
# apply when the role runs (the playbook sets some of them for it).
DROPPED_KEYS = ("default", "required")


class RoleOptionsError(Exception):
    pass


def spec_path(roles_dir, role):
    return os.path.join(roles_dir, role, "meta", "argument_specs.yml")


def entry_options(roles_dir, term):
    """``(role:entry, options)`` of ``term``, ``role`` or ``role:entry``
    (default entry point: main)."""
    role, _sep, entry = term.partition(":")
    entry = entry or "main"
    path = spec_path(roles_dir, role)
    try:
        with open(path, encoding="utf-8") as f:
            specs = (yaml.load(f, Loader=SAFE_LOADER) or {}).get("argument_specs") or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RoleOptionsError("cannot read the argument spec of role %s (%s: %s)" % (role, type(exc).__name__, exc))
    if entry not in specs:
        raise RoleOptionsError("role %s has no entry point %r in %s (it has: %s)"
                               % (role, entry, path, ", ".join(sorted(specs)) or "none"))
    return "%s:%s" % (role, entry), specs[entry].get("options") or {}


def _checks(spec):
    """What of an option's declaration checks a value (descriptions left out)."""
    checks = {k: spec.get(k) for k in CHECKED_KEYS if k != "options"}
    checks["type"] = checks["type"] or "str"
    checks["options"] = {var: dict(_checks(sub), required=bool(sub.get("required")))
                         for var, sub in (spec.get("options") or {}).items()}
    return checks


def declared_options(named_options):
    """``{variable: (declaring role:entry, declaration)}`` from ``[(name,
    options), ...]``, defaults and requirements left out; a variable that two
    of them declare differently (type, elements, choices, suboptions) is an
    error naming both, since one check could not serve them."""
    merged, declared_by = {}, {}
    for name, options in named_options:
        for var, spec in options.items():
            check = {k: v for k, v in spec.items() if k not in DROPPED_KEYS}
            if var in merged:
                first, this = _checks(merged[var]), _checks(check)
                if first != this:
                    raise RoleOptionsError("variable %s is declared differently in %s and %s (%s): make them the same"
                                           % (var, declared_by[var], name,
                                              ", ".join(k for k in CHECKED_KEYS if first[k] != this[k])))
                continue
            merged[var] = check
            declared_by[var] = name
    return {var: (declared_by[var], spec) for var, spec in merged.items()}


_READ = {}


def role_options(roles_dir, terms):
    """declared_options of the roles ``terms`` (``role`` or ``role:entry``);
    read once per process."""
    key = (roles_dir, tuple(terms))
    if key not in _READ:
        _READ[key] = declared_options([entry_options(roles_dir, term) for term in terms])
    return _READ[key]


def variable_problems(options, values):
    """The problems of ``values`` (variable: value, the ones a host has)
    against ``options`` (from role_options), each naming the variable, what
    is wrong with it and the role whose documentation declares it."""
    problems = []
    for var in sorted(values):
        if var not in options:
            continue
        declared_by, spec = options[var]
        role, entry = declared_by.split(":")
        for message in ArgumentSpecValidator({var: spec}).validate({var: values[var]}).error_messages:
            problems.append("%s; set it as role %s declares it (ansible-doc -t role dce5.skoala.%s -e %s)"
                            % (message, role, role, entry))
    return problems
