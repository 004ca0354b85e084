"""Plugins that run on the controller stay light to import.

Ansible forks a worker for every task and host, and each worker loads the
filter, lookup and action plugins a task uses afresh. A plugin that imports
the kubernetes client (through a module_utils that imports it) costs about
0.3 s of CPU per task and host: on a fleet of 5 clusters that was most of
preflight's 25 s. Only modules may import it: the main process imports them
once (filter plugins_loaded), and the workers it forks run them
(plugin_utils/in_worker.py) or start a process of their own.
"""
import glob
import os
import subprocess
import sys

import pytest

from tests.conftest import COLLECTIONS_ROOT, ROOT

CONTROLLER_PLUGINS = sorted(
    "ansible_collections.dce5.skoala.plugins.%s.%s" % (kind, os.path.basename(path)[:-3])
    for kind in ("filter", "lookup", "action", "plugin_utils")
    for path in glob.glob(os.path.join(ROOT, "plugins", kind, "*.py"))
    if not path.endswith("__init__.py"))


def test_there_are_controller_plugins_to_check():
    assert any(".filter." in name for name in CONTROLLER_PLUGINS)
    assert any(".action." in name for name in CONTROLLER_PLUGINS)


@pytest.mark.parametrize("plugin", CONTROLLER_PLUGINS)
def test_plugin_does_not_import_the_kubernetes_client(plugin):
    code = ("import importlib, sys; importlib.import_module(%r); "
            "print(' '.join(sorted(m for m in sys.modules if m == 'kubernetes' or m.startswith('kubernetes.'))))"
            % plugin)
    env = dict(os.environ, PYTHONPATH=COLLECTIONS_ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", "%s imports %s" % (plugin, out.stdout.split()[:3])


MODULES = sorted(
    "ansible_collections.dce5.skoala.plugins.modules.%s" % os.path.basename(path)[:-3]
    for path in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
    if not path.endswith("__init__.py"))


def test_plugins_loaded_imports_every_action_and_lookup_plugin_and_module():
    """Preflight calls it in Ansible's main process, so that the worker of
    every task and cluster inherits the plugins, and the modules with the
    Kubernetes client, instead of importing them."""
    wanted = [name for name in CONTROLLER_PLUGINS if ".action." in name or ".lookup." in name] + MODULES
    assert MODULES
    code = ("import sys; from ansible_collections.dce5.skoala.plugins.filter.skoala import FilterModule; "
            "print(FilterModule().filters()['plugins_loaded']('all')); print(' '.join(sorted(sys.modules)))")
    env = dict(os.environ, PYTHONPATH=COLLECTIONS_ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    returned, modules = out.stdout.splitlines()
    assert returned == "True"
    missing = set(wanted) - set(modules.split())
    assert wanted and not missing, "plugins_loaded does not import %s" % sorted(missing)
    assert "kubernetes.client" in modules.split()
