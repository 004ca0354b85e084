"""Modules run in the task's worker process (plugin_utils/in_worker.py) only
where they would run in the same place anyway, and give there what they give
run the usual way: the same results, failures, check mode and masking."""
import atexit
import base64
import glob
import json
import os
import re
import stat
import subprocess
import sys
import types

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.plugins.action import ActionBase

from ansible_collections.dce5.skoala.plugins.plugin_utils import in_worker
from tests.conftest import COLLECTIONS_ROOT, ROOT


def refusal(**change):
    """in_worker.refusal of a task allowed to run here, but for ``change``."""
    task = dict(module_name="dce5.skoala.lease_lock", transport="local", become=False, async_val=0,
                timeout=None, environment=[], interpreter=sys.executable)
    task.update(change)
    return in_worker.refusal(**task)


def test_a_local_task_as_this_user_under_this_python_runs_here():
    assert refusal() is None
    assert refusal(transport="ansible.builtin.local") is None
    # Ansible gives a task with no environment a list of empty ones.
    assert refusal(environment=[{}]) is None


@pytest.mark.parametrize("change, reason", [
    (dict(transport="ssh"), "the connection is ssh, not local"),
    (dict(transport="kubernetes.core.kubectl"), "not local"),
    (dict(become=True), "become"),
    (dict(async_val=60), "async"),
    (dict(timeout=30), "timeout"),
    # Left to discovery, the usual way may find another Python.
    (dict(interpreter="auto_silent"), "interpreter discovery (auto_silent)"),
    (dict(interpreter=None), "interpreter discovery"),
    (dict(environment=[{"HTTPS_PROXY": "http://proxy:3128"}]), "environment"),
    (dict(interpreter="/usr/bin/python3.9"), "/usr/bin/python3.9"),
    (dict(module_name="kubernetes.core.k8s_info"), "not one of this collection's modules"),
    (dict(switch="0"), "DCE5_SKOALA_IN_WORKER=0"),
    (dict(switch="false"), "DCE5_SKOALA_IN_WORKER=false"),
])
def test_anything_else_runs_the_usual_way_and_says_why(change, reason):
    assert reason in refusal(**change)


def test_the_switch_left_on_changes_nothing():
    assert refusal(switch="1") is None
    assert refusal(switch="") is None


def test_every_module_has_the_profile_in_worker_assumes():
    """in_worker encodes arguments with the profile of a module without
    METADATA; a module that declares one would be handed the wrong encoding."""
    modules = glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
    assert modules
    declaring = [os.path.basename(m) for m in modules if re.search(r"^METADATA\s*=", open(m).read(), re.M)]
    assert not declaring, "declare no METADATA, or teach in_worker its profile: %s" % declaring


PLAYBOOK = """
- hosts: controller
  gather_facts: false
  tasks:
    - name: write
      dce5.skoala.private_files:
        directory: "{{ out }}/files"
        files: [{name: values.yaml, content: "dsn: postgres://skoala:{{ password }}@db/skoala"}]
      register: first
    - name: write again
      dce5.skoala.private_files:
        directory: "{{ out }}/files"
        files: [{name: values.yaml, content: "dsn: postgres://skoala:{{ password }}@db/skoala"}]
      register: second
    - name: write into a file, not a directory
      dce5.skoala.private_files:
        directory: "{{ out }}/files/values.yaml"
        files: [{name: x, content: "{{ password }}"}]
      register: into_a_file
      ignore_errors: true
    - name: read a cluster whose kubeconfig is missing
      dce5.skoala.workloads_info:
        kubeconfig: "{{ out }}/no-such-kubeconfig"
        namespace: skoala-system
        kinds: [Deployment]
      register: no_kubeconfig
      ignore_errors: true
    - name: read a cluster whose kubeconfig holds its client key inline
      dce5.skoala.workloads_info:
        kubeconfig: "{{ inline_kubeconfig }}"
        namespace: skoala-system
        kinds: [Deployment]
      register: inline_key
      ignore_errors: true
    - name: write, delegated to a host whose Python is another
      dce5.skoala.private_files:
        directory: "{{ out }}/elsewhere"
        files: [{name: values.yaml, content: "{{ password }}"}]
      delegate_to: elsewhere
      register: delegated
    - name: a bad argument
      dce5.skoala.private_files:
        directory: "{{ out }}/files"
        files: [{name: x}]
      register: bad_argument
      ignore_errors: true
    - name: results
      ansible.builtin.copy:
        dest: "{{ out }}/results.json"
        content: "{{ {'first': first, 'second': second, 'into_a_file': into_a_file,
                      'no_kubeconfig': no_kubeconfig, 'bad_argument': bad_argument,
                      'inline_key': inline_key, 'delegated': delegated} | to_json }}"
        mode: "0600"
      check_mode: false
"""


INLINE_KEY = "-----BEGIN PRIVATE KEY-----\nSKOALA-TEST-KEY\n-----END PRIVATE KEY-----\n"


def inline_kubeconfig(path):
    """A kubeconfig with its client key and certificate inline, as DCE's
    are: the Kubernetes client writes them to temporary files to use them."""
    data = base64.b64encode(INLINE_KEY.encode()).decode()
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9", "certificate-authority-data": data}}],
        "users": [{"name": "u", "user": {"client-certificate-data": data, "client-key-data": data}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    return path


def another_python():
    """The Python a virtualenv's python links to: another Python for
    in_worker (other libraries), one the usual way can run a module with."""
    real = os.path.realpath(sys.executable)
    return real if os.path.dirname(real) != os.path.dirname(os.path.abspath(sys.executable)) else None


def run(tmp_path, name, switch, *options):
    out = tmp_path / name
    remote_tmp, elsewhere_tmp, tmpdir = out / "remote-tmp", out / "elsewhere-tmp", out / "tmp"
    for directory in (remote_tmp, elsewhere_tmp, tmpdir):
        directory.mkdir(parents=True)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(json.dumps({"all": {"hosts": {
        "controller": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        "elsewhere": {"ansible_connection": "local", "ansible_python_interpreter": another_python() or sys.executable,
                      "ansible_remote_tmp": str(elsewhere_tmp)}}}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_REMOTE_TMP=str(remote_tmp),
               ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_NOCOLOR="1", TMPDIR=str(tmpdir))
    env[in_worker.SWITCH] = switch
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
                           str(tmp_path / "play.yml"), "-e", "out=%s" % out, "-e", "password=S3cr3tPw",
                           "-e", "inline_kubeconfig=%s" % inline_kubeconfig(out / "inline-kubeconfig"),
                           "--limit", "controller", "-v"] + list(options),
                          env=env, capture_output=True, text=True, cwd=str(tmp_path), check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # The module processes of this collection's modules that ran (the last
    # task's copy is ansible.builtin's, run the usual way by either).
    builtin = {"AnsiballZ_copy.py", "AnsiballZ_stat.py"}
    kept = sorted({os.path.basename(p) for p in glob.glob(str(remote_tmp / "**" / "AnsiballZ_*.py"), recursive=True)}
                  - builtin)
    kept_elsewhere = sorted({os.path.basename(p) for p in
                             glob.glob(str(elsewhere_tmp / "**" / "AnsiballZ_*.py"), recursive=True)})
    leftovers = [str(p) for p in tmpdir.rglob("*") if p.is_file() and b"SKOALA-TEST-KEY" in p.read_bytes()]
    # The same for both ways: paths below ``out`` as below OUT.
    results = json.loads((out / "results.json").read_text().replace(str(out), "OUT"))
    return {"results": results, "kept": kept, "kept_elsewhere": kept_elsewhere, "leftovers": leftovers,
            "output": done.stdout + done.stderr, "out": out}


def comparable(result):
    """What an operator or a later task reads of a result."""
    return {k: v for k, v in result.items() if k not in ("invocation", "exception", "_ansible_no_log")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("in-worker")
    return {name: run(tmp_path, name, switch, *options)
            for name, switch, options in [("here", "1", ()), ("usual", "0", ()), ("check", "1", ("--check",))]}


def test_in_worker_ran_no_module_process_and_the_usual_way_did(runs):
    assert runs["here"]["kept"] == []
    assert runs["usual"]["kept"] == ["AnsiballZ_private_files.py", "AnsiballZ_workloads_info.py"]


@pytest.mark.skipif(another_python() is None, reason="this Python is not a virtualenv's: no other Python at hand")
def test_a_task_delegated_to_a_host_with_another_python_runs_there(runs):
    """The delegated host's interpreter decides, not the play host's."""
    assert runs["here"]["kept_elsewhere"] == ["AnsiballZ_private_files.py"]
    assert runs["here"]["results"]["delegated"]["changed"] is True


def test_no_inline_key_is_left_in_the_temporary_directory(runs):
    """The Kubernetes client writes a kubeconfig's inline key to a temporary
    file, removed at the end of the process: a worker's end skips that."""
    for name in ("here", "usual"):
        assert runs[name]["results"]["inline_key"]["failed"] is True, name
        assert runs[name]["leftovers"] == [], name


def test_both_ways_give_the_same_results(runs):
    here, usual = runs["here"]["results"], runs["usual"]["results"]
    assert {k: comparable(v) for k, v in here.items()} == {k: comparable(v) for k, v in usual.items()}
    assert here["first"]["changed"] is True
    assert here["second"]["changed"] is False


def test_failures_keep_their_message(runs):
    here = runs["here"]["results"]
    assert here["into_a_file"]["failed"] is True
    assert "values.yaml" in here["into_a_file"]["msg"]
    assert here["no_kubeconfig"]["failed"] is True
    assert "skoala-system" in here["no_kubeconfig"]["msg"]
    assert here["bad_argument"]["failed"] is True
    assert "content" in here["bad_argument"]["msg"]


def test_files_are_private_and_secrets_are_never_printed(runs):
    for name in ("here", "usual"):
        mode = stat.S_IMODE(os.stat(runs[name]["out"] / "files" / "values.yaml").st_mode)
        assert mode == 0o600, name
        assert "S3cr3tPw" not in runs[name]["output"], name


def test_check_mode_writes_nothing(runs):
    check = runs["check"]
    assert check["kept"] == []
    assert check["results"]["first"]["changed"] is True
    assert not (check["out"] / "files" / "values.yaml").exists()


def test_the_same_python_by_another_name_in_its_directory_runs_here():
    for name in ("python", "python3", "python%d.%d" % sys.version_info[:2]):
        other = os.path.join(os.path.dirname(sys.executable), name)
        if os.path.exists(other) and os.path.samefile(other, sys.executable):
            assert refusal(interpreter=other) is None


def test_a_python_elsewhere_is_another_python_even_if_linked():
    """A virtualenv's python links to the system's, with other libraries."""
    real = os.path.realpath(sys.executable)
    if os.path.dirname(real) != os.path.dirname(os.path.abspath(sys.executable)):
        assert "not %s" % sys.executable in refusal(interpreter=real)
    assert refusal(interpreter="/no/such/python") is not None


class ProbeAction:
    """What _run_here uses of an action plugin, for modules made up here."""
    _used_interpreter = None
    _parse_returned_data = ActionBase._parse_returned_data

    def _update_module_args(self, module_name, args, task_vars):
        args.update(_ansible_check_mode=False, _ansible_no_log=False, _ansible_module_name=module_name)


@pytest.fixture
def probe_module(monkeypatch):
    """Puts a made-up module with ``main`` among the collection's modules."""
    def put(main):
        module = types.ModuleType("probe")
        module.main = main
        monkeypatch.setitem(sys.modules, "ansible_collections.dce5.skoala.plugins.modules.probe", module)
        return "dce5.skoala.probe"
    return put


def test_a_module_that_crashes_gives_a_failed_result_as_its_own_process_would(probe_module):
    """A result, not an exception: failed_when, until and the callers' checks see it."""
    def main():
        print("half a line")
        raise RuntimeError("boom")
    stdout = sys.stdout
    result = in_worker._run_here(ProbeAction(), probe_module(main), {}, {})
    assert result["failed"] is True
    assert "RuntimeError: boom" in result["msg"]
    assert "RuntimeError" in result["exception"]
    assert sys.stdout is stdout


def test_what_a_module_leaves_for_the_end_of_the_process_runs_after_it(probe_module):
    cleaned = []

    def main():
        module = AnsibleModule(argument_spec={"name": {"type": "str"}})
        atexit.register(cleaned.append, module.params["name"])
        module.exit_json(changed=True, name=module.params["name"])
    result = in_worker._run_here(ProbeAction(), probe_module(main), {"name": "key-file"}, {})
    assert result["changed"] is True and result["name"] == "key-file"
    assert cleaned == ["key-file"]
    assert atexit.register is in_worker.atexit.register and "lambda" not in repr(atexit.register)


def test_a_module_that_fails_keeps_its_message_and_its_masking(probe_module):
    def main():
        module = AnsibleModule(argument_spec={"password": {"type": "str", "no_log": True}})
        module.fail_json(msg="login with %s refused" % module.params["password"])
    result = in_worker._run_here(ProbeAction(), probe_module(main), {"password": "S3cr3tPw"}, {})
    assert result["failed"] is True
    assert "S3cr3tPw" not in repr(result)
    assert "refused" in result["msg"]


def test_every_module_has_an_action_plugin_and_none_starts_a_module_itself():
    """A module without an action plugin, or an action plugin that calls
    _execute_module, would start a Python per call again, silently."""
    modules = {os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))} - {"__init__.py"}
    actions = glob.glob(os.path.join(ROOT, "plugins", "action", "*.py"))
    assert modules
    assert sorted(modules - {os.path.basename(p) for p in actions}) == []
    starting = [os.path.basename(p) for p in actions if "_execute_module(" in open(p).read()]
    assert starting == []
