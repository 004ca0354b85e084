"""extra_var_names reads the -e arguments of the running ansible-playbook and
returns their names only."""
import pytest
from ansible import context
from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.collections import ImmutableDict
from ansible.parsing.dataloader import DataLoader
from ansible.utils.vars import load_extra_vars

from ansible_collections.dce5.skoala.plugins.lookup.extra_var_names import LookupModule


@pytest.fixture
def command_line(monkeypatch):
    def given(*extra_vars):
        monkeypatch.setattr(context, "CLIARGS", ImmutableDict(extra_vars=extra_vars))
        # ansible-core parses -e once per process and keeps the result on the function
        monkeypatch.setattr(load_extra_vars, "extra_vars", None, raising=False)
    return given


def names(terms=()):
    return LookupModule(loader=DataLoader()).run(list(terms), variables={})


def test_key_value_json_and_file_forms(command_line, tmp_path):
    varfile = tmp_path / "vars.yml"
    varfile.write_text("skoala_repo_password: s3cret\nskoala_max_fail_percentage: 50\n")
    command_line("skoala_workers_serial=1", '{"skoala_target_version": "0.28.1"}', "@%s" % varfile)
    assert names() == ["skoala_max_fail_percentage", "skoala_repo_password",
                       "skoala_target_version", "skoala_workers_serial"]


def test_never_returns_values(command_line):
    command_line("skoala_repo_password=s3cret")
    assert "s3cret" not in repr(names())


def test_no_extra_vars(command_line):
    command_line()
    assert names() == []


def test_terms_are_refused(command_line):
    command_line()
    with pytest.raises(AnsibleLookupError, match="takes no terms"):
        names(["skoala_workers_serial"])
