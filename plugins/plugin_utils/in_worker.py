# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Run one of the collection's modules in the process Ansible has already
forked for the task, instead of in a new Python started for it.

Why: a module run the usual way starts a Python that imports the Kubernetes
client anew, about 0.4 s of CPU a time, before it sends its first request;
a run of one cluster makes about ten such calls in a row (bench/README.md).
The worker process already holds that client: the main process imported the
collection's modules once (filter ``plugins_loaded``), and every worker is a
fork of it. ansible.netcommon does the same for network modules ("direct
execution").

Only where the module would run in the same place anyway: a local
connection, as the same user (no become), under this Python (named by the
host's ansible_python_interpreter, not left to interpreter discovery),
without a task environment, async or timeout. Anything else goes the usual
way, through ``_execute_module``; so does everything when
DCE5_SKOALA_IN_WORKER=0.

The module gets its arguments and hands back its result as JSON, encoded and
decoded as Ansible does for the usual way (its serialization profile), so it
cannot tell the difference: same argument checks, same no_log masking, same
check mode.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import importlib
import io
import json
import os
import shutil
import sys
import tempfile
import traceback

from ansible import constants as C
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash
from ansible.vars.clean import remove_internal_keys

try:  # ansible-core 2.19+: modules read and write JSON by a serialization profile.
    from ansible.module_utils.common.json import Direction, get_module_encoder
except ImportError:  # older cores run every module the usual way
    Direction = get_module_encoder = None

display = Display()

SWITCH = "DCE5_SKOALA_IN_WORKER"
COLLECTION = "dce5.skoala."
LOCAL_CONNECTIONS = ("local", "ansible.builtin.local")
# The profile of a module without METADATA, as all of ours are (unit test).
PROFILE = "legacy"


def _same_python(interpreter):
    """Whether ``interpreter`` is the Python this process runs: the same
    file, in the same directory (a virtualenv's python links to the
    system's, with other libraries)."""
    here = sys.executable
    try:
        return (os.path.dirname(os.path.abspath(interpreter)) == os.path.dirname(os.path.abspath(here))
                and os.path.samefile(interpreter, here))
    except OSError:
        return False


def refusal(module_name, transport, become, async_val, timeout, environment, interpreter, switch=None):
    """Why the module cannot run in this worker process, or None when it can.
    ``interpreter`` is the host's ansible_python_interpreter, or else the
    interpreter_python setting (``auto...``: discovery). Pure, for unit
    tests; ``run_module`` gathers the facts from the task."""
    if str(switch if switch is not None else "1").strip().lower() in ("0", "false", "no", "off"):
        return "%s=%s" % (SWITCH, switch)
    if get_module_encoder is None:
        return "this ansible-core has no module serialization profiles"
    if not module_name.startswith(COLLECTION):
        return "%s is not one of this collection's modules" % module_name
    if transport not in LOCAL_CONNECTIONS:
        return "the connection is %s, not local" % transport
    if become:
        return "the task uses become"
    if async_val:
        return "the task is async"
    # The task's alarm would stop the module in the middle of its threads;
    # a module process of its own is simply left.
    if timeout:
        return "the task has a timeout"
    if any(environment or []):
        return "the task sets an environment"
    if not interpreter or str(interpreter).startswith("auto"):
        return ("the host's Python is left to interpreter discovery (%s); "
                "set ansible_python_interpreter" % (interpreter or "interpreter_python unset"))
    if not _same_python(interpreter):
        return "the host's Python is %s, not %s" % (interpreter, sys.executable)
    return None


def _interpreter(action, task_vars):
    """The Python the module would run under the usual way: the host's
    ansible_python_interpreter (the delegated host's, when delegating), else
    the interpreter_python setting."""
    host_vars = task_vars
    if action._task.delegate_to:
        host_vars = (task_vars.get("ansible_delegated_vars") or {}).get(action._task.delegate_to) or {}
    interpreter = host_vars.get("ansible_python_interpreter")
    if interpreter:
        return action._templar.template(interpreter)
    return C.config.get_config_value("INTERPRETER_PYTHON", variables=host_vars)


def _task_refusal(action, module_name, task_vars):
    become = action._play_context.become or getattr(action._connection, "become", None) is not None
    reason = refusal(module_name, action._connection.transport, become, action._task.async_val,
                     action._task.timeout, action._task.environment, _interpreter(action, task_vars),
                     os.environ.get(SWITCH))
    display.vvv("%s %s" % (module_name, "runs in the worker process" if reason is None
                           else "runs the usual way: " + reason), host=task_vars.get("inventory_hostname"))
    return reason


def run_module(action, module_name, module_args, task_vars):
    """What ``action._execute_module(module_name, module_args)`` returns: run
    in this process when ``refusal`` allows it, the usual way otherwise."""
    if _task_refusal(action, module_name, task_vars) is not None:
        return action._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars)
    return _run_here(action, module_name, module_args, task_vars)


def _run_here(action, module_name, module_args, task_vars):
    args = dict(module_args)
    action._update_module_args(module_name, args, task_vars)
    # A private directory the module may use as its own, removed here: a
    # worker process ends without running the module's atexit cleanup.
    tmpdir = tempfile.mkdtemp(prefix="skoala-in-worker-")
    args["_ansible_tmpdir"] = tmpdir
    stdout, stderr = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr, basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE
    # A module may change directory (AnsibleModule does when the current one
    # is unreadable); a later call in this process reads relative paths here.
    cwd = os.getcwd()
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()
    # What the module's libraries leave for the end of the process: the
    # Kubernetes client removes the key and certificates of a kubeconfig's
    # inline data that way. A worker ends without running them (os._exit),
    # so they run here, after the call.
    at_exit = []
    register = atexit.register
    try:
        encoder = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}, cls=encoder).encode("utf-8")
        basic._ANSIBLE_PROFILE = PROFILE
        module = importlib.import_module("ansible_collections.dce5.skoala.plugins.modules." +
                                         module_name[len(COLLECTION):])
        atexit.register = lambda func, *a, **kw: at_exit.append((func, a, kw)) or func
        sys.stdout, sys.stderr = stdout, stderr
        try:
            module.main()
        except SystemExit:
            pass  # exit_json and fail_json end this way, after writing the result
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A module's own process reports a crash as a failed result, so
            # failed_when, until and the callers' checks still see a result.
            sys.stdout, sys.stderr = saved[0], saved[1]
            return dict(failed=True, msg="%s failed: %s: %s" % (module_name, type(exc).__name__, exc),
                        exception=traceback.format_exc())
    finally:
        atexit.register = register
        sys.stdout, sys.stderr, basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = saved
        for func, a, kw in reversed(at_exit):
            try:
                func(*a, **kw)
            except Exception:  # pylint: disable=broad-exception-caught
                display.warning("%s: a cleanup after it failed: %s" % (module_name, traceback.format_exc(limit=1)))
        os.chdir(cwd)
        shutil.rmtree(tmpdir, ignore_errors=True)
    data = action._parse_returned_data({"rc": 0, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()},
                                       PROFILE)
    # As _execute_module does with a module's result.
    remove_internal_keys(data)
    for stream in ("stdout", "stderr"):
        if stream in data and stream + "_lines" not in data:
            data[stream + "_lines"] = (data.get(stream) or "").splitlines()
    return data


class InWorkerAction(ActionBase):
    """The action plugin of a module that has nothing to add to it but where
    it runs: the task's module, by ``run_module``; the usual way, as
    ansible.builtin.normal runs it, when ``refusal`` says no."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(InWorkerAction, self).run(tmp, task_vars)
        module_name = self._task.resolved_action or self._task.action
        if _task_refusal(self, module_name, task_vars) is None:
            return merge_hash(result, _run_here(self, module_name, self._task.args, task_vars))
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
