"""Private files: 0600 in 0700, written whole, idempotent, check mode."""
import os

import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import private_files


def mode(path):
    return os.stat(str(path)).st_mode & 0o777


def test_writes_private_files_in_a_private_directory(tmp_path):
    directory = tmp_path / "backups" / "w1"
    changed, paths = private_files.write_all(str(directory), {"a.yaml": "a: 1\n", "b.yaml": "b: 2\n"})
    assert changed == paths == [str(directory / "a.yaml"), str(directory / "b.yaml")]
    assert mode(directory) == 0o700
    assert [mode(p) for p in paths] == [0o600, 0o600]
    assert (directory / "a.yaml").read_text() == "a: 1\n"
    assert sorted(os.listdir(str(directory))) == ["a.yaml", "b.yaml"]


def test_second_write_changes_nothing(tmp_path):
    files = {"a.yaml": "a: 1\n"}
    private_files.write_all(str(tmp_path), files)
    before = os.stat(str(tmp_path / "a.yaml")).st_ino
    changed = private_files.write_all(str(tmp_path), files)[0]
    assert changed == []
    assert os.stat(str(tmp_path / "a.yaml")).st_ino == before


def test_a_wider_mode_or_other_content_is_rewritten(tmp_path):
    (tmp_path / "a").write_text("x")
    os.chmod(str(tmp_path / "a"), 0o644)
    (tmp_path / "b").write_text("old")
    os.chmod(str(tmp_path / "b"), 0o600)
    changed = private_files.write_all(str(tmp_path), {"a": "x", "b": "new"})[0]
    assert changed == [str(tmp_path / "a"), str(tmp_path / "b")]
    assert mode(tmp_path / "a") == 0o600 and (tmp_path / "b").read_text() == "new"


def test_check_mode_reports_and_writes_nothing(tmp_path):
    directory = tmp_path / "new"
    changed, paths = private_files.write_all(str(directory), {"a": "1"}, check_mode=True)
    assert changed == paths == [str(directory / "a")]
    assert not directory.exists()


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    (tmp_path / "a").write_text("complete old backup")
    os.chmod(str(tmp_path / "a"), 0o600)

    def boom(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(private_files.os, "rename", boom)
    with pytest.raises(OSError):
        private_files.write_all(str(tmp_path), {"a": "new"})
    assert os.listdir(str(tmp_path)) == ["a"]
    assert (tmp_path / "a").read_text() == "complete old backup"


def test_unicode_content_round_trips(tmp_path):
    private_files.write_all(str(tmp_path), {"u": "dsn: 密码-ü\n"})
    assert (tmp_path / "u").read_text(encoding="utf-8") == "dsn: 密码-ü\n"


def test_files_are_written_in_the_order_given(tmp_path, monkeypatch):
    order = []
    real_write = private_files.write
    monkeypatch.setattr(private_files, "write", lambda path, content: (order.append(os.path.basename(path)),
                                                                       real_write(path, content)))
    private_files.write_all(str(tmp_path), {"x.values.yaml": "a: 1\n", "x.meta.yaml": "b: 2\n"})
    assert order == ["x.values.yaml", "x.meta.yaml"]
