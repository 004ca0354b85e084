# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The problems in an inventory's inputs: each host's skoala_* variables
checked before anything changes, each problem naming the host, the variable
and the fix.

Pure functions; the filter plugin ``dce5.skoala.skoala`` exposes
``input_problems`` to the preflight role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.dce5.skoala.plugins.module_utils import run_id, upgrade_path, versions

SOURCES = ("online", "offline")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


# What -e key=true / key=false gives (a string).
BOOL_STRINGS = ("true", "false")


def _whole(value):
    """A whole number from an int or a string of digits (-e gives strings);
    None otherwise."""
    if _is_int(value):
        return value
    if isinstance(value, str) and re.match(r"^-?[0-9]+$", value.strip()):
        return int(value)
    return None


def _percentage(value, allow_zero=False):
    if isinstance(value, str):
        value = value.strip()
        value = value[:-1] if value.endswith("%") else value
        try:
            value = float(value)
        except ValueError:
            return False
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return (0 <= value if allow_zero else 0 < value) and value <= 100


def _serial_ok(value):
    """Ansible's serial: a batch size above 0, a percentage, or a list of them."""
    if isinstance(value, list):
        return bool(value) and all(_serial_ok(v) for v in value)
    if isinstance(value, str) and value.strip().endswith("%"):
        return _percentage(value)
    number = _whole(value)
    return number is not None and number > 0


# Variables the playbooks use as play keywords, with the value that means "not set".
PLAY_KEYWORD_VARS = (
    ("skoala_workers_serial", "serial", "100%", "all workers would be upgraded in one batch"),
    ("skoala_max_fail_percentage", "max_fail_percentage", "0", "the run would stop at the first failed worker"),
)


def _same_setting(value, default):
    text = str(value).strip()
    return text == default or (default == "0" and _whole(text.rstrip("%")) == 0)


def play_keyword_problems(host, inputs, extra_var_names):
    """Variables that only reach play keywords from extra vars. Ansible
    templates serial and max_fail_percentage without any host's variables, so
    a value set in the inventory is silently replaced by the default."""
    problems = []
    for var, keyword, default, effect in PLAY_KEYWORD_VARS:
        value = inputs.get(var)
        if value is None or var in extra_var_names or _same_setting(value, default):
            continue
        problems.append(
            "%s: %s is %r in the inventory, but the playbooks use it as the workers' play keyword %s, and "
            "Ansible reads play keywords from extra vars only: %s. Pass it with -e (e.g. -e '{\"%s\": %s}' "
            "or -e @vars.yml) and remove it from the inventory"
            % (host, var, value, keyword, effect, var, json.dumps(value)))
    return problems


def input_problems(host, inputs, extra_var_names=None):
    """Problems with one host's inputs, each naming the host, the variable
    and the fix. ``inputs`` maps variable names to values; with
    ``extra_var_names`` (the names given with -e), play-keyword variables set
    only in the inventory are refused too."""
    problems = []
    if extra_var_names is not None:
        problems.extend(play_keyword_problems(host, inputs, extra_var_names))

    def bad(var, what, fix):
        problems.append("%s: %s %s; %s" % (host, var, what, fix))

    def version(var, required):
        value = inputs.get(var)
        if value in (None, "") and not required:
            return
        try:
            versions.Version.parse(value, var)
        except versions.VersionError as exc:
            problems.append("%s: %s" % (host, exc))

    version("skoala_target_version", True)
    version("skoala_ui_version", False)

    source = inputs.get("skoala_source")
    if source not in SOURCES:
        bad("skoala_source", "is %r" % (source,), "set it to online or offline")
    elif source == "online":
        url = inputs.get("skoala_repo_url")
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url or ""):
            bad("skoala_repo_url", "is %r" % (url,),
                "online mode needs the chart repository URL, e.g. https://release.daocloud.io/chartrepo/skoala")
    else:
        if not inputs.get("skoala_offline_registry"):
            bad("skoala_offline_registry", "is empty",
                "offline mode needs the registry the images were synced to (host[:port])")
        if not (inputs.get("skoala_offline_bundle") or inputs.get("skoala_offline_chart_dir")
                or inputs.get("skoala_repo_url")):
            bad("skoala_offline_bundle", "is empty",
                "offline mode needs an offline bundle, an unpacked chart directory "
                "(skoala_offline_chart_dir) or a Harbor chartrepo URL (skoala_repo_url)")

    kubeconfig = inputs.get("skoala_kubeconfig")
    if not isinstance(kubeconfig, str) or not kubeconfig.strip():
        bad("skoala_kubeconfig", "is not set", "give every cluster the path of its kubeconfig file")

    for var in ("skoala_helm_timeout", "skoala_wait_timeout"):
        if var in inputs and inputs[var] is not None:
            value = inputs[var]
            if _whole(value) is None or _whole(value) <= 0:
                bad(var, "is %r" % (value,), "use a whole number of seconds above 0")

    for var in ("skoala_allow_downgrade", "skoala_recover_pending", "skoala_lock_takeover"):
        if var in inputs and inputs[var] is not None and not isinstance(inputs[var], bool) \
                and str(inputs[var]).lower() not in BOOL_STRINGS:
            bad(var, "is %r" % (inputs[var],), "use true or false")

    ttl = inputs.get("skoala_lock_ttl")
    if ttl is not None and (_whole(ttl) is None or _whole(ttl) < 0):
        bad("skoala_lock_ttl", "is %r" % (ttl,), "use a whole number of seconds (0: the lock never expires)")

    serial = inputs.get("skoala_workers_serial")
    if serial is not None and not _serial_ok(serial):
        bad("skoala_workers_serial", "is %r" % (serial,),
            "use a number of workers per batch above 0, a percentage like '25%', or a list of those")

    fail = inputs.get("skoala_max_fail_percentage")
    if fail is not None and not _percentage(fail, allow_zero=True):
        bad("skoala_max_fail_percentage", "is %r" % (fail,), "use a number from 0 to 100")

    for var in ("skoala_backup_dir", "skoala_report_dir"):
        value = inputs.get(var)
        if var in inputs and (not isinstance(value, str) or not value.strip()):
            bad(var, "is %r" % (value,), "give a directory path on the controller")

    if inputs.get("skoala_run_id") is not None:
        problem = run_id.run_id_problem(inputs["skoala_run_id"])
        if problem:
            problems.append("%s: %s" % (host, problem))

    if inputs.get("skoala_upgrade_path_extra") or inputs.get("skoala_upgrade_steps_skip"):
        for problem in upgrade_path.problems(upgrade_path.load_builtin(), inputs.get("skoala_upgrade_path_extra"),
                                             inputs.get("skoala_upgrade_steps_skip")):
            problems.append("%s: %s" % (host, problem))

    # The names of the checks are the choices of the preflight role's
    # argument spec, the one list of them, which Ansible checks.
    skip = inputs.get("skoala_preflight_skip")
    if skip is not None and not isinstance(skip, list):
        bad("skoala_preflight_skip", "is %r" % (skip,), "use a list of check names")
    return problems
