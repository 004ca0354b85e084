"""Modules run in the task's worker process (plugin_utils/in_worker.py) only
where they would run in the same place anyway, and give there what they give
run the usual way: the same results, failures, check mode and masking."""
import glob
import json
import os
import re
import stat
import subprocess
import sys

import pytest

from ansible_collections.dce5.skoala.plugins.plugin_utils import in_worker
from tests.conftest import COLLECTIONS_ROOT, ROOT


def refusal(**change):
    """in_worker.refusal of a task allowed to run here, but for ``change``."""
    task = dict(module_name="dce5.skoala.lease_lock", transport="local", become=False, async_val=0,
                environment=[], interpreter=None)
    task.update(change)
    return in_worker.refusal(**task)


def test_a_local_task_as_this_user_under_this_python_runs_here():
    assert refusal() is None
    assert refusal(transport="ansible.builtin.local", interpreter=sys.executable) is None
    # Ansible gives a task with no environment a list of empty ones.
    assert refusal(environment=[{}]) is None


@pytest.mark.parametrize("change, reason", [
    (dict(transport="ssh"), "the connection is ssh, not local"),
    (dict(transport="kubernetes.core.kubectl"), "not local"),
    (dict(become=True), "become"),
    (dict(async_val=60), "async"),
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
                      'no_kubeconfig': no_kubeconfig, 'bad_argument': bad_argument} | to_json }}"
        mode: "0600"
      check_mode: false
"""


def run(tmp_path, name, switch, *options):
    out = tmp_path / name
    remote_tmp = out / "remote-tmp"
    remote_tmp.mkdir(parents=True)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(json.dumps({"all": {"hosts": {"controller": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_REMOTE_TMP=str(remote_tmp),
               ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_NOCOLOR="1")
    env[in_worker.SWITCH] = switch
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
                           str(tmp_path / "play.yml"), "-e", "out=%s" % out, "-e", "password=S3cr3tPw", "-v"] + list(options),
                          env=env, capture_output=True, text=True, cwd=str(tmp_path), check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # The module processes of this collection's modules that ran (the last
    # task's copy is ansible.builtin's, run the usual way by either).
    kept = sorted({os.path.basename(p) for p in glob.glob(str(remote_tmp / "**" / "AnsiballZ_*.py"), recursive=True)}
                  - {"AnsiballZ_copy.py", "AnsiballZ_stat.py"})
    # The same for both ways: paths below ``out`` as below OUT.
    results = json.loads((out / "results.json").read_text().replace(str(out), "OUT"))
    return {"results": results, "kept": kept, "output": done.stdout + done.stderr, "out": out}


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
