"""The Zhang et al. (2016) "new" Caltech annotations: folder layout, the ign column, protocol 'new'."""

import json
import shutil
import warnings

import numpy as np
import pytest

from pkg_detect import config as C
from pkg_detect.cli import eval as ev
from pkg_detect.data import caltech_new, fake
from pkg_detect.eval import caltech as ce
from pkg_detect.eval.caltech import GtObject
from pkg_shared.errors import DataFormatError


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return fake.make_caltech(tmp_path_factory.mktemp("cnew"), train_frames=9, test_frames=60, test_videos=1)


def test_layout_names_and_filters(root, tmp_path):
    test = root / caltech_new.TEST_FOLDER
    train = root / caltech_new.TRAIN_FOLDER
    # the distributed spellings: test frames carry ".jpg.txt", 10x train frames ".txt"; 0-based frame numbers
    assert sorted(p.name for p in test.iterdir()) == ["set06_V000_I00029.jpg.txt", "set06_V000_I00059.jpg.txt"]
    assert sorted(p.name for p in train.iterdir()) == [f"set00_V000_I{f:05d}.txt" for f in (2, 5, 8)]
    assert (test / "set06_V000_I00029.jpg.txt").read_text().splitlines()[0] == "% bbGt version=3"
    assert caltech_new.parse_name("set06_V000_I00029.jpg.txt") == (6, 0, 29)
    assert caltech_new.parse_name("set06_V000_I00029.jpg") is None
    assert [a.frame for a in caltech_new.list_folder(train, {0}, 3)] == [2, 5, 8]
    assert caltech_new.find_file(test, 6, 0, 59).name.endswith(".jpg.txt")
    assert caltech_new.find_file(train, 0, 0, 5).name == "set00_V000_I00005.txt"
    with pytest.raises(DataFormatError, match="I00030"):
        caltech_new.find_file(test, 6, 0, 30)
    with pytest.raises(DataFormatError, match="sets"):
        caltech_new.list_folder(test, {7})


def test_new_protocol_uses_ign_column_closed_ranges_and_vf_rules():
    objs = [GtObject("person", np.array([100.0, 100, 41, 100]), np.zeros(4), 0, 1),  # ign column set
            GtObject("person", np.array([200.0, 100, 41, 100]), np.array([200.0, 100, 20, 100]), 0, 0),  # occ 0
            GtObject("person", np.array([300.0, 100, 41, 100]), np.array([300.0, 100, 41, 100]), 1, 0),  # bbv == bb
            GtObject("person", np.array([400.0, 100, 20.5, 50]), np.zeros(4), 0, 0)]  # h = 50 exactly
    new = ce.frame_gt(objs, ce.SETUPS["Reasonable"], protocol="new")
    assert list(new[:, 4]) == [1, 0, 1, 0]  # ign -> ignore; occ 0 -> vf 1; bbv == bb -> vf 0 < 0.65
    far_new = ce.frame_gt([GtObject("person", np.array([400.0, 100, 12.3, 30]), np.zeros(4), 0, 0)],
                          ce.SETUPS["Scale=far"], protocol="new")
    far_old = ce.frame_gt([GtObject("person", np.array([400.0, 100, 12.3, 30]), np.zeros(4), 0, 0)],
                          ce.SETUPS["Scale=far"])
    assert far_new[0, 4] == 0 and far_old[0, 4] == 1  # [20, 30] closed vs [20, 30) half-open


def _raw_positives(path, hmin=20.0):
    """Count of non-ignored 'person' lines with h >= hmin inside the bounds, read from the text itself."""
    n = 0
    for line in path.read_text().splitlines()[1:]:
        f = line.split()
        x, y, w, h, ign = float(f[1]), float(f[2]), float(f[3]), float(f[4]), int(f[10])
        n += f[0] == "person" and not ign and h >= hmin and x >= 5 and y >= 5 and x + w <= 635 and y + h <= 475
    return n


def test_cli_new_protocol_without_videos_or_vbb(root, tmp_path, capsys):
    anno = tmp_path / "Caltech_new_annotations" / caltech_new.TEST_FOLDER
    shutil.copytree(root / caltech_new.TEST_FOLDER, anno)
    # detections = the non-ignored person boxes, written as toolbox result rows (1-based frames)
    res = tmp_path / "res" / "set06"
    res.mkdir(parents=True)
    rows = []
    for p in sorted(anno.iterdir()):
        f = caltech_new.parse_name(p.name)[2]
        for line in p.read_text().splitlines()[1:]:
            v = line.split()
            if v[0] == "person" and v[10] == "0":
                rows.append(f"{f + 1},{v[1]},{v[2]},{v[3]},{v[4]},0.9")
    (res / "V000.txt").write_text("\n".join(rows) + "\n")
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rc = ev.main(["caltech", "--protocol", "new", "--new-annotations", str(anno), "--dets", str(tmp_path / "res"),
                      "--sets", "6", "--setups", "All,Reasonable", "--out", str(tmp_path / "e.json")])
    assert rc == 0
    out = json.loads((tmp_path / "e.json").read_text())
    assert out["protocol"]["name"] == "new" and out["protocol"]["comparable_with_original"] is False
    assert out["protocol"]["resize_dets"] is False and out["protocol"]["frames"] == 2
    assert out["results"]["All"]["n_gt"] == sum(_raw_positives(p) for p in anno.iterdir())
    assert out["results"]["All"]["mr"] == 0.0
    # the same detections on the original (.vbb) protocol: the ign-flagged 24-px person is a positive there
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert ev.main(["caltech", "--root", str(root), "--dets", str(tmp_path / "res"), "--sets", "6",
                        "--setups", "All", "--out", str(tmp_path / "o.json")]) == 0
    orig = json.loads((tmp_path / "o.json").read_text())["results"]["All"]
    assert orig["n_gt"] > out["results"]["All"]["n_gt"] and orig["mr"] > 0
    # a malformed line names the file and line; no --root and no --new-annotations is refused
    bad = anno / "set06_V000_I00059.jpg.txt"
    bad.write_text("% bbGt version=3\nperson 1 2 3\n")
    rc = ev.main(["caltech", "--protocol", "new", "--new-annotations", str(anno), "--dets", str(tmp_path / "res"), "--sets", "6"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "set06_V000_I00059.jpg.txt:2" in err and len(err.splitlines()) == 1
    rc = ev.main(["caltech", "--protocol", "new", "--dets", str(tmp_path / "res")])
    assert rc == 2 and "--root" in capsys.readouterr().err


def test_training_samples_from_new_annotations(root):
    from pkg_detect.data.dataset import build_samples

    cfg = C.load("tll_caltech", ["data.train_annotations=new", "data.train_sets=[0]", "data.every=3"])
    samples = build_samples(cfg, root)
    assert [s.name for s in samples] == ["set00/V000/I00002", "set00/V000/I00005", "set00/V000/I00008"]
    raw = (root / caltech_new.TRAIN_FOLDER / "set00_V000_I00002.txt").read_text().splitlines()[1:]
    n_pos = sum(v.split()[0] == "person" and v.split()[10] == "0" for v in raw)
    assert len(samples[0].boxes) == n_pos and len(samples[0].boxes) + len(samples[0].ignore) == len(raw)
    assert samples[0].load(0).shape == (480, 640, 3)
    with pytest.raises(DataFormatError, match="I00003"):
        samples[0].boxes_at(1)  # only every 3rd frame is annotated
