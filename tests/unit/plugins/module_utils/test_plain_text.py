"""Plain text for the screen: tables and one-line messages."""
import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import plain_text


def test_table_columns_line_up_and_trailing_space_is_dropped():
    rows = [{"name": "a", "state": "ok", "note": ""}, {"name": "longer", "state": "-", "note": 3}]
    assert plain_text.table(rows, ("name", "state", "note")) == [
        "NAME    STATE  NOTE",
        "------  -----  ----",
        "a       ok",
        "longer  -      3",
    ]
    assert plain_text.table([], ("name",)) == ["NAME", "----"]


@pytest.mark.parametrize("text, limit, expected", [
    ("a\n  b\tc ", 10, "a b c"),
    ("x" * 10, 10, "x" * 10),
    ("x" * 11, 10, "x" * 7 + "..."),
    (None, 10, ""),
    ("", 10, ""),
    (ValueError("boom\nagain"), 20, "boom again"),
])
def test_one_line(text, limit, expected):
    assert plain_text.one_line(text, limit) == expected
