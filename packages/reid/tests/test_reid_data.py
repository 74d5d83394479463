"""Readers on fake official-format trees, including malformed input."""

import shutil

import h5py
import numpy as np
import pytest
from scipy.io import loadmat, savemat

from pkg_reid.data import cuhk03, dukemtmc, market1501
from pkg_reid.data.fake import make_cuhk03, make_duke, make_market
from pkg_shared.errors import DataFormatError


def test_market_name_regex_accepts_junk_and_distractors():
    assert market1501.parse_name("0001_c1s1_000151_01.jpg") == (1, 1)
    assert market1501.parse_name("-1_c3s2_012345_04.jpg") == (-1, 3)
    assert market1501.parse_name("0000_c6s4_000001_00.jpg") == (0, 6)
    assert market1501.parse_name("0001_c1_f000151.jpg") is None


def test_market_both_layouts_and_junk(tmp_path):
    nested = make_market(tmp_path / "a", ids=3, cams=2, per_cam=1, distractors=2, junk=2, nested=True)
    flat = make_market(tmp_path / "b", ids=3, cams=2, per_cam=1, distractors=2, junk=2, nested=False)
    assert nested.name == "Market-1501-v15.09.15"
    s1 = market1501.read(tmp_path / "a")  # parent of Market-1501-v15.09.15
    s2 = market1501.read(flat)
    for s in (s1, s2):
        assert len(s.train) == 3 * 2 * 1 and {x.pid for x in s.train} == {2, 4, 6}
        assert len(s.query) == 3 * 2
        assert sum(x.pid == -1 for x in s.gallery) == 2
        assert sum(x.pid == 0 for x in s.gallery) == 2
        assert s.train_labels == {2: 0, 4: 1, 6: 2}
    assert sum(x.pid == -1 for x in market1501.read(flat, drop_junk=True).gallery) == 0


def test_market_malformed_name_names_the_file(tmp_path):
    base = make_market(tmp_path, ids=2, cams=2, per_cam=1)
    bad = base / "query" / "0001_cam1_000151.jpg"
    shutil.copy(next((base / "query").iterdir()), bad)
    (base / "query" / "Thumbs.db").write_bytes(b"x")  # non-jpg files are ignored
    with pytest.raises(DataFormatError) as e:
        market1501.read(base)
    assert str(bad) in str(e.value) and "naming scheme" in str(e.value)
    s = market1501.read(base, collect_problems=True)
    assert len(s.problems) == 1 and str(bad) in s.problems[0]


def test_market_camera_out_of_range_and_missing_root(tmp_path):
    base = make_market(tmp_path, ids=2, cams=2, per_cam=1)
    shutil.copy(next((base / "query").iterdir()), base / "query" / "0001_c7s1_000001_00.jpg")
    with pytest.raises(DataFormatError, match="camera 7 outside 1..6"):
        market1501.read(base)
    with pytest.raises(DataFormatError, match="not found"):
        market1501.read(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFormatError, match="expected folders"):
        market1501.read(tmp_path / "empty")


def test_duke(tmp_path):
    base = make_duke(tmp_path, ids=3, cams=4, per_cam=1, distractor_ids=2)
    s = dukemtmc.read(tmp_path)
    assert dukemtmc.parse_name("0005_c2_f0046985.jpg") == (5, 2)
    assert {x.camid for x in s.train} == {1, 2, 3, 4}
    assert len({x.pid for x in s.gallery}) == 3 + 2
    (base / "query" / "0005_c9_f0046985.jpg").write_bytes(b"")
    with pytest.raises(DataFormatError, match="camera 9"):
        dukemtmc.read(base)


def test_cuhk03_hdf5_layout_and_new_protocol(cuhk_root):
    mat = cuhk_root / cuhk03.MAT
    with open(mat, "rb") as fh:
        assert fh.read(10) == b"MATLAB 7.3"
    with h5py.File(mat, "r") as f:
        assert f["labeled"].shape == (1, 5) and f["testsets"].shape == (1, 20)
        cells = f[f["labeled"][0, 0]][()]
        assert cells.shape == (10, 3)  # stored transposed (MATLAB column-major)
        img = f[cells[0, 0]][()]
        assert img.ndim == 3 and img.shape[0] == 3
    images = list(cuhk03.iter_images(mat, "labeled"))
    n_expected = 0
    with h5py.File(mat, "r") as f:
        for ref in f["labeled"][0]:
            for r in f[ref][()].ravel():
                n_expected += f[r][()].ndim == 3
    assert len(images) == n_expected < 5 * 3 * 10  # empty cells skipped
    s = cuhk03.read(cuhk_root, version="labeled", protocol="new")
    cfg = loadmat(str(cuhk_root / "cuhk03_new_protocol_config_labeled.mat"))
    assert len(s.train) == len(cfg["train_idx"]) and len(s.query) == len(cfg["query_idx"])
    first = str(np.squeeze(cfg["filelist"][int(cfg["query_idx"][0, 0]) - 1][0]))  # 1-based index
    assert s.query[0].path.endswith(first)
    assert s.query[0].camid == int(first.split("_")[2])
    assert {x.camid for x in s.gallery} <= {1, 2}
    assert not ({x.pid for x in s.train} & {x.pid for x in s.query})


def test_cuhk03_classic_split(cuhk_root):
    splits = cuhk03.classic_splits(cuhk_root / cuhk03.MAT)
    assert len(splits) == 20
    s = cuhk03.read(cuhk_root, version="detected", protocol="classic", split=2)
    test = {pp[0] * 10000 + pp[1] for pp in splits[2]}
    assert {x.pid for x in s.query} == test
    assert all(x.camid == 1 for x in s.query) and all(x.camid == 2 for x in s.gallery)
    assert not (test & {x.pid for x in s.train})


def test_cuhk03_corrupt_inputs(tmp_path):
    root = make_cuhk03(tmp_path / "ok", persons_per_pair=2)
    bad = tmp_path / "bad" / "cuhk03"
    shutil.copytree(root, bad)
    (bad / cuhk03.MAT).write_bytes(b"MATLAB 5.0 MAT-file, not hdf5" * 20)
    shutil.rmtree(bad / "images_labeled", ignore_errors=True)
    with pytest.raises(DataFormatError, match="HDF5"):
        cuhk03.read(bad)
    cfg_path = root / "cuhk03_new_protocol_config_labeled.mat"
    cfg = loadmat(str(cfg_path))
    cfg["query_idx"][0, 0] = 10_000
    savemat(str(cfg_path), {k: v for k, v in cfg.items() if not k.startswith("__")})
    with pytest.raises(DataFormatError, match=r"query_idx\[1\] = 10000 is outside"):
        cuhk03.read(root)
    with pytest.raises(DataFormatError, match="cuhk-03.mat"):
        cuhk03.read(tmp_path / "ok" / "cuhk03" / "cuhk03_release")


def test_cuhk03_cache_is_reused_and_refreshed(tmp_path):
    root = make_cuhk03(tmp_path, persons_per_pair=2)
    d = cuhk03.extract(root, "labeled")
    n = len(list(d.glob("*.png")))
    victim = next(d.glob("*.png"))
    victim.unlink()  # partial cache -> re-extracted
    cuhk03.extract(root, "labeled")
    assert victim.is_file() and len(list(d.glob("*.png"))) == n


def test_corrupt_image_names_the_file(tmp_path):
    import torch

    from pkg_reid.config import DataConfig
    from pkg_reid.data.dataset import ImageDataset
    from pkg_reid.data.transforms import EvalTransform

    base = make_market(tmp_path, ids=2, cams=2, per_cam=1)
    victim = sorted((base / "query").iterdir())[0]
    victim.write_bytes(b"\xff\xd8 truncated jpeg")
    s = market1501.read(base)  # names are fine; decoding fails when the image is used
    ds = ImageDataset(s.query, EvalTransform(DataConfig(height=32, width=16)))
    with pytest.raises(DataFormatError) as e:
        torch.utils.data.default_collate([ds[i] for i in range(len(ds))])
    assert str(victim) in str(e.value)


def test_cuhk03_check_lists_every_problem(tmp_path, capsys):
    from pkg_reid.cli.data import main

    root = make_cuhk03(tmp_path, persons_per_pair=2)
    cfg_path = root / "cuhk03_new_protocol_config_labeled.mat"
    cfg = loadmat(str(cfg_path))
    cfg["query_idx"][0, 0] = 10_000
    cfg["gallery_idx"][1, 0] = 0
    cfg["filelist"][int(cfg["train_idx"][0, 0]) - 1, 0] = np.array(["5_099_1_01.png"])
    savemat(str(cfg_path), {k: v for k, v in cfg.items() if not k.startswith("__")})
    with h5py.File(root / cuhk03.MAT, "r+") as f:
        del f["testsets"]
    rc = main(["check", "--dataset", "cuhk03", "--root", str(root)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "query_idx[1] = 10000 is outside" in out and "gallery_idx[2] = 0 is outside" in out
    assert "5_099_1_01.png" in out and "not found" in out
    assert "no 'testsets' dataset" in out
    assert "4 problem(s) found" in out
    with pytest.raises(DataFormatError):  # the reader itself still stops at the first problem
        cuhk03.read(root)


def test_market_gt_query_cross_check(tmp_path, capsys):
    from pkg_reid.cli.data import main
    from pkg_reid.eval.rank import evaluate
    from pkg_shared.metrics.retrieval import market_masks

    base = make_market(tmp_path, ids=3, cams=2, per_cam=2, junk=2)
    s = market1501.read(base)
    q, g = s.query, s.gallery
    good, junk = market1501.gt_query_masks(base, [x.path for x in q], [x.path for x in g])
    # 1-based indices into the sorted listing: the names they point at carry the query's id, other cameras
    listing = sorted(p.name for p in (base / "bounding_box_test").glob("*.jpg"))
    idx = loadmat(str(base / "gt_query" / f"{pathlib_stem(q[0].path)}_good.mat"))["good_index"].ravel().astype(int)
    named = {market1501.parse_name(listing[i - 1]) for i in idx}
    assert len(idx) == 2 and all(pid == q[0].pid and cam != q[0].camid for pid, cam in named)
    assert sorted(pathlib_name(g[j].path) for j in np.nonzero(good[0])[0]) == sorted(listing[i - 1] for i in idx)
    rg, rj = market_masks(np.array([x.pid for x in q]), np.array([x.camid for x in q]),
                          np.array([x.pid for x in g]), np.array([x.camid for x in g]))
    assert np.array_equal(good, rg) and np.array_equal(junk, rj)
    dist = np.random.default_rng(0).random((len(q), len(g)))
    args = ([x.pid for x in q], [x.camid for x in q], [x.pid for x in g], [x.camid for x in g])
    assert evaluate(dist, *args, masks=(good, junk))["mAP_official"] == evaluate(dist, *args)["mAP_official"]
    assert main(["check", "--dataset", "market1501", "--root", str(base)]) == 0
    assert "good lists differ for 0, junk lists for 0" in capsys.readouterr().out
    # one query's good list loses an entry, another's junk file points outside the gallery
    victim = base / "gt_query" / f"{pathlib_stem(q[1].path)}_good.mat"
    savemat(str(victim), {"good_index": loadmat(str(victim))["good_index"][:, 1:]})
    broken = base / "gt_query" / f"{pathlib_stem(q[2].path)}_junk.mat"
    savemat(str(broken), {"junk_index": np.array([[1.0, 999.0]])})
    assert main(["check", "--dataset", "market1501", "--root", str(base)]) == 1
    out = capsys.readouterr().out
    assert str(broken) in out and "999" in out
    savemat(str(broken), {"junk_index": loadmat(str(base / "gt_query" / f"{pathlib_stem(q[3].path)}_junk.mat"))
                          ["junk_index"]})
    assert main(["check", "--dataset", "market1501", "--root", str(base)]) == 1
    out = capsys.readouterr().out
    assert f"{q[1].path}: gt_query good list differs" in out and "(0 only in the file, 1 only in the rules)" in out


def pathlib_stem(p):
    import pathlib

    return pathlib.Path(p).stem


def pathlib_name(p):
    import pathlib

    return pathlib.Path(p).name


def test_market_500k_distractor_folder(tmp_path):
    base = make_market(tmp_path, ids=2, cams=2, per_cam=1, extra_distractors=3, gt_query=False)
    shutil.copy(next((base / "images").iterdir()), base / "images" / "00000042.jpg")  # not in the Market scheme
    plain = market1501.read(base)
    s = market1501.read(base, distractors=True)
    assert s.name == "market1501+500k" and len(s.gallery) == len(plain.gallery) + 4
    extra = s.gallery[len(plain.gallery):]
    assert all(x.pid == 0 for x in extra) and sorted(x.camid for x in extra)[0] == 0
    shutil.rmtree(base / "images")
    with pytest.raises(DataFormatError, match="500k distractor folder not found"):
        market1501.read(base, distractors=True)
