"""Readers/writers of the official formats on fake files, and corrupted inputs."""

import numpy as np
import pytest

from pkg_detect.data import bbgt, caltech, citypersons, fake, kitti
from pkg_detect.data.caltech_seq import HEADER_SIZE, SeqReader, read_header, write_seq
from pkg_detect.data.caltech_vbb import VbbAnnotation, VbbObject, read_vbb, write_vbb
from pkg_shared.errors import DataFormatError


def test_seq_round_trip_header_and_frames(tmp_path):
    rng = np.random.default_rng(0)
    frames = [np.full((48, 64, 3), 40 * k, np.uint8) + rng.integers(0, 5, (48, 64, 3), dtype=np.uint8) for k in range(4)]
    write_seq(tmp_path / "V000.seq", frames, fps=30)
    raw = (tmp_path / "V000.seq").read_bytes()
    assert raw[:4] == bytes([0xED, 0xFE, 0, 0])
    h = read_header(tmp_path / "V000.seq")
    assert (h.width, h.height, h.num_frames, h.image_format, h.fps, h.version) == (64, 48, 4, 102, 30.0, 3)
    r = SeqReader(tmp_path / "V000.seq")
    assert len(r) == 4
    size = int.from_bytes(raw[HEADER_SIZE:HEADER_SIZE + 4], "little")
    assert r.frame_bytes(0) == raw[HEADER_SIZE + 4:HEADER_SIZE + size]  # record size includes its 4 bytes
    for k in range(4):
        assert abs(int(r[k].mean()) - int(frames[k].mean())) <= 2


def test_seq_marker_fallback_and_corrupt(tmp_path):
    write_seq(tmp_path / "a.seq", [np.zeros((16, 16, 3), np.uint8)] * 2)
    raw = bytearray((tmp_path / "a.seq").read_bytes())
    raw[HEADER_SIZE:HEADER_SIZE + 4] = (10**6).to_bytes(4, "little")  # broken record size
    (tmp_path / "b.seq").write_bytes(bytes(raw))
    assert len(SeqReader(tmp_path / "b.seq")) == 2
    (tmp_path / "c.seq").write_bytes(b"\x00" * 100)
    with pytest.raises(DataFormatError, match="c.seq"):
        SeqReader(tmp_path / "c.seq")


def test_vbb_round_trip_and_ids(tmp_path):
    objs = [[VbbObject(1, "person", np.array([10.0, 20, 30, 60]), 0, np.zeros(4))], [],
            [VbbObject(2, "people", np.array([1.0, 2, 3, 4]), 1, np.array([1.0, 2, 3, 2]))]]
    write_vbb(tmp_path / "V000.vbb", VbbAnnotation(3, objs, ["person", "people"]))
    a = read_vbb(tmp_path / "V000.vbb")
    assert a.n_frames == 3 and a.frames[1] == []
    assert a.frames[2][0].id == 2 and a.frames[2][0].label == "people" and a.frames[2][0].occl == 1
    np.testing.assert_allclose(a.frames[0][0].pos, [10, 20, 30, 60])
    (tmp_path / "bad.vbb").write_text("not matlab")
    with pytest.raises(DataFormatError, match="bad.vbb"):
        read_vbb(tmp_path / "bad.vbb")


def test_bbgt_versions_and_malformed_line(tmp_path):
    (tmp_path / "v0.txt").write_text("% bbGt version=0\nperson 1 2 3 4 0 0 0 0 0\n")
    (tmp_path / "v3.txt").write_text("% bbGt version=3\nperson 1 2 3 4 1 1 2 3 2 0 0\npeople 5 6 7 8 0 0 0 0 0 1 0\n")
    o0 = bbgt.read_bbgt(tmp_path / "v0.txt")
    o3 = bbgt.read_bbgt(tmp_path / "v3.txt")
    assert o0[0].label == "person" and o0[0].ign == 0
    assert o3[1].ign == 1 and o3[0].occ == 1
    np.testing.assert_allclose(o3[0].bbv, [1, 2, 3, 2])
    bbgt.write_bbgt(tmp_path / "w.txt", o3)
    assert bbgt.read_bbgt(tmp_path / "w.txt")[1].label == "people"
    (tmp_path / "bad.txt").write_text("% bbGt version=3\nperson 1 2 3 4 0 0 0 0 0 0 0\nperson 1 2\n")
    with pytest.raises(DataFormatError) as e:
        bbgt.read_bbgt(tmp_path / "bad.txt")
    assert "bad.txt:3" in str(e.value)


def test_caltech_layout_index_extract_check(caltech_root, tmp_path):
    vids = caltech.find_videos(caltech_root)
    assert [v.name for v in vids] == ["set00/V000", "set06/V000"]
    assert caltech.frame_indices(60, 30) == [29, 59]
    assert caltech.frame_indices(9, 3) == [2, 5, 8]
    n = caltech.extract(caltech_root, tmp_path / "ex", every=3, sets=(0,))
    assert n == 2
    objs = bbgt.read_bbgt(tmp_path / "ex" / "annotations" / "set00_V000_I00002.txt")
    assert {o.label for o in objs} >= {"person", "people"}
    assert (tmp_path / "ex" / "images" / "set00_V000_I00005.jpg").read_bytes()[:2] == b"\xff\xd8"
    rep = caltech.check(caltech_root)
    assert rep["problems"] == [] and rep["stats"]["test"]["frames"] == 30


def test_citypersons_json_and_mat_give_same_eval_gt(tmp_path):
    root = fake.make_citypersons(tmp_path, n_images=1, size=(128, 256))
    a = citypersons.eval_gt(citypersons.read_split(root, "val"))
    b = citypersons.eval_gt(citypersons.read_mat(root / "annotations" / "anno_val.mat", "val"))
    assert a["annotations"] == b["annotations"]
    ped = [x for x in a["annotations"] if x["ignore"] == 0]
    assert len(ped) == 5 and any(x["vis_ratio"] == pytest.approx(0.5) for x in ped)
    bad = tmp_path / "x_gtBboxCityPersons.json"
    bad.write_text('{"imgWidth": 1,\n "objects": [}')
    with pytest.raises(DataFormatError) as e:
        citypersons.read_json(bad)
    assert "x_gtBboxCityPersons.json:2" in str(e.value)


def test_kitti_labels(tmp_path):
    root = fake.make_kitti(tmp_path, n_images=1, size=(160, 400))
    objs = kitti.read_label(root / "training" / "label_2" / "000000.txt")
    assert [o.type for o in objs].count("Pedestrian") == 3 and objs[-1].type == "DontCare"
    (tmp_path / "bad.txt").write_text("Pedestrian 0 0 0 1 2 3\n")
    with pytest.raises(DataFormatError, match="bad.txt:1"):
        kitti.read_label(tmp_path / "bad.txt")


def test_citypersons_check_compares_with_released_val_gt(tmp_path, capsys):
    import json

    from pkg_detect.cli import data as data_cli

    root = fake.make_citypersons(tmp_path / "cp", n_images=2, size=(256, 512))
    assert data_cli.main(["check", "--dataset", "citypersons", "--root", str(root)]) == 0
    rep = json.loads(capsys.readouterr().out.split("\nproblem")[0].rsplit("\n0 problem", 1)[0])
    assert rep["val_gt.json"]["differences"] == 0
    gt = json.loads((root / "val_gt.json").read_text())
    gt["annotations"][0]["ignore"] = 1 - gt["annotations"][0]["ignore"]
    del gt["annotations"][1]
    (root / "val_gt.json").write_text(json.dumps(gt))
    assert data_cli.main(["check", "--dataset", "citypersons", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "ignore 1, ours 0" in out and "no annotation with bbox" in out and "2 problem(s)" in out
