"""Atomic writes keep the permissions a plain ``open()`` would give."""

from __future__ import annotations

import os
import stat

import pytest

from synthetic.files import content_hash, umask, write_atomically


def mode_of(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_mode_open_would_give(tmp_path, mask):
    previous = os.umask(mask)
    try:
        assert umask() == mask
        write_atomically(tmp_path / "atomic.json", lambda stream: stream.write(b"{}"))
        with open(tmp_path / "plain.json", "w") as stream:
            stream.write("{}")
    finally:
        os.umask(previous)
    assert mode_of(tmp_path / "atomic.json") == mode_of(tmp_path / "plain.json") == 0o666 & ~mask


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "report.md"
    path.write_text("old")
    path.chmod(0o640)
    write_atomically(path, lambda stream: stream.write(b"new"))
    assert path.read_text() == "new" and mode_of(path) == 0o640


def test_a_folders_content_hash_changes_with_a_name_or_a_byte(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(b"1")
    first = content_hash(tmp_path)
    (tmp_path / "a" / "x.png").rename(tmp_path / "a" / "y.png")
    second = content_hash(tmp_path)
    (tmp_path / "a" / "y.png").write_bytes(b"2")
    assert len({first, second, content_hash(tmp_path)}) == 3
