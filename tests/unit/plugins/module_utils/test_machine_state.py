# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dce5.skoala.plugins.module_utils import machine_state


def test_helm_version_reads_the_version_with_helms_template():
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, "v3.19.0\n", ""

    found = machine_state.helm_version("helm", lambda b: "/usr/bin/helm", run)
    assert found == {"binary": "/usr/bin/helm", "rc": 0, "version": "v3.19.0", "msg": ""}
    assert calls == [["/usr/bin/helm", "version", "--template", "{{ .Version }}"]]


def test_helm_version_of_a_missing_binary_runs_nothing():
    def run(argv):
        raise AssertionError("ran %s" % argv)

    assert machine_state.helm_version("/opt/none/helm", lambda b: None, run) == {
        "binary": "/opt/none/helm", "rc": None, "version": "", "msg": "not found"}


def test_helm_version_that_fails_says_why_on_one_line_and_has_no_version():
    found = machine_state.helm_version("helm", lambda b: "/x/helm", lambda argv: (2, "v3.19.0", "bad\n  things"))
    assert found == {"binary": "/x/helm", "rc": 2, "version": "", "msg": "bad things"}
    assert machine_state.helm_version("helm", lambda b: "/x/helm", lambda argv: (1, "", ""))["msg"] == "exit 1"


def test_directory_state(tmp_path):
    assert machine_state.directory_state(str(tmp_path)) == {
        "path": str(tmp_path), "exists": True, "isdir": True, "writeable": True}
    a_file = tmp_path / "f"
    a_file.write_text("x")
    assert machine_state.directory_state(str(a_file)) == {
        "path": str(a_file), "exists": True, "isdir": False, "writeable": False}
    missing = str(tmp_path / "missing")
    assert machine_state.directory_state(missing) == {"path": missing, "exists": False, "isdir": False,
                                                      "writeable": False}


def test_find_binary_by_path_or_in_path(tmp_path):
    exe = tmp_path / "helm"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    plain = tmp_path / "not-executable"
    plain.write_text("")
    looked_up = []

    def get_bin_path(name):
        looked_up.append(name)
        return "/usr/local/bin/helm" if name == "helm" else None
    assert machine_state.find_binary(str(exe), get_bin_path) == str(exe)
    assert machine_state.find_binary(str(plain), get_bin_path) is None
    assert machine_state.find_binary(str(tmp_path / "missing"), get_bin_path) is None
    assert machine_state.find_binary("helm", get_bin_path) == "/usr/local/bin/helm"
    assert machine_state.find_binary("nohelm", get_bin_path) is None
    assert looked_up == ["helm", "nohelm"]
