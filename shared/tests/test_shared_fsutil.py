import json
import os

import pytest

from pkg_shared.fsutil import append_line, atomic_open, atomic_path, atomic_write_json


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


def test_atomic_files_get_the_umask_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_json(tmp_path / "r.json", {"a": 1})
        with atomic_path(tmp_path / "m.png") as tmp:
            tmp.write_bytes(b"png")
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "m.png").stat().st_mode & 0o777 == 0o644


def test_atomic_path_keeps_suffix_and_cleans_up(tmp_path):
    target = tmp_path / "out" / "model.onnx"
    with atomic_path(target) as tmp:
        assert tmp.suffix == ".onnx" and tmp.parent == target.parent and tmp != target
        tmp.write_bytes(b"x")
    assert target.read_bytes() == b"x"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash")
    with pytest.raises(OSError, match="nothing was written"), atomic_path(target):
        pass
    assert target.read_bytes() == b"x"
    assert [f.name for f in target.parent.iterdir()] == ["model.onnx"]
