import json

import pytest

from pkg_shared.fsutil import append_line, atomic_open, atomic_write_json


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    p = tmp_path / "sub" / "r.json"
    atomic_write_json(p, {"a": 1})
    atomic_write_json(p, {"a": 2})
    assert json.loads(p.read_text()) == {"a": 2}
    assert [f.name for f in p.parent.iterdir()] == ["r.json"]


def test_failed_write_keeps_old_file(tmp_path):
    p = tmp_path / "r.txt"
    p.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(p, "w") as fh:
        fh.write("half")
        raise RuntimeError("crash")
    assert p.read_text() == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["r.txt"]


def test_append_line(tmp_path):
    p = tmp_path / "log.jsonl"
    append_line(p, "a")
    append_line(p, "b\n")
    assert p.read_text() == "a\nb\n"
