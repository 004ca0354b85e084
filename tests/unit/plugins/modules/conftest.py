import json

import pytest
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


@pytest.fixture
def run_module(capsys):
    """Run a module's main() with args; return (failed, result)."""
    def run(main, args):
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exit_info:
                main()
        out = capsys.readouterr().out
        result = json.loads(out)
        return exit_info.value.code != 0, result
    return run
