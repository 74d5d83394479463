"""SBU, PKU-MMD and interop formats, transforms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pkg_shared.errors import DataFormatError
from pkg_skeleton.config import DataConfig
from pkg_skeleton.data import interop, pkummd, sbu, transforms
from pkg_skeleton.data.dataset import load_split


def test_sbu_folds_cover_21_sets_once():
    sets = [s for v in sbu.FOLDS.values() for s in v]
    assert len(sets) == 21 == len(set(sets))
    assert sbu.fold_of("s04s06") == 5


def test_sbu_reader_and_conversion(tmp_path):
    f = tmp_path / "skeleton_pos.txt"
    row = [1] + [0.5, 0.25, 3.90625] * 30
    f.write_text(",".join(map(str, row)) + "\n" + ",".join(map(str, [2] + row[1:])) + "\n")
    a = sbu.read_skeleton_pos(f)
    assert a.shape == (2, 2, 15, 3)
    mm = sbu.read_skeleton_pos(f, real_world=True)
    np.testing.assert_allclose(mm[0, 0, 0], [1280 - 1280, 960 - 480, 5000.0])
    f.write_text(",".join(map(str, row[:-1])) + "\n")
    with pytest.raises(DataFormatError, match="91") as ei:
        sbu.read_skeleton_pos(f)
    assert ei.value.line == 1


def test_sbu_fake_tree_and_fold_split(tmp_path):
    from pkg_skeleton.data.fake import make_fake_sbu

    root = make_fake_sbu(tmp_path, frames=(5, 6))
    cfg = DataConfig(dataset="sbu", root=root, sbu_test_fold=2)
    tr, _ = load_split(cfg, "train")
    te, _ = load_split(cfg, "test")
    assert len(te) == 4 * 8 and len(tr) == 17 * 8
    assert all(n.split("/")[0] in sbu.FOLDS[2] for n, _, _ in te)
    assert te[0][2].shape[0] == 2 and te[0][2].shape[2:] == (15, 3)


def test_pkummd_split_file_with_typo_and_labels(tmp_path):
    s = tmp_path / "cross-view.txt"
    s.write_text("Training videos: 0002-M, 0002-R,\n 0003-M ,\nValidataion videos: \n0002-L, 0003-L,\n")
    tr, te = pkummd.read_split(s)
    assert tr == ["0002-M", "0002-R", "0003-M"] and te == ["0002-L", "0003-L"]
    lab = tmp_path / "0002-L.txt"
    lab.write_text("3,10,50,1\n51, 60, 90, 2\n")
    assert pkummd.read_labels(lab) == [(3, 10, 50, 1.0), (51, 60, 90, 2.0)]
    lab.write_text("3,10,50,1\n52,60,90,2\n")
    with pytest.raises(DataFormatError, match="outside") as ei:
        pkummd.read_labels(lab)
    assert ei.value.line == 2


def test_pkummd_skeleton_reader(tmp_path):
    f = tmp_path / "0002-L.txt"
    f.write_text("\n".join(" ".join(["0.5"] * 75 + ["0"] * 75) for _ in range(3)) + "\n")
    a = pkummd.read_skeleton(f)
    assert a.shape == (2, 3, 25, 3) and not a[1].any() and (a[0] == 0.5).all()
    f.write_text(" ".join(["0.5"] * 150) + "\n" + " ".join(["0.5"] * 149) + "\n")
    with pytest.raises(DataFormatError, match="150") as ei:
        pkummd.read_skeleton(f)
    assert ei.value.line == 2


def test_pkummd_fake_instances(tmp_path):
    from pkg_skeleton.data.fake import make_fake_pkummd

    root = make_fake_pkummd(tmp_path, subjects=(2, 3), actions_per_video=2)
    tr, _ = load_split(DataConfig(dataset="pkummd_xsub", root=root), "train")
    te, _ = load_split(DataConfig(dataset="pkummd_xview", root=root), "test")
    assert len(tr) == 3 * 2 and len(te) == 2 * 2
    labels = pkummd.read_labels(root / "Train_Label_PKU_final" / "0002-L.txt")
    assert tr[0][2].shape[1] == labels[0][2] - labels[0][1] + 1


def test_interop_round_trip_pyskl_and_stgcn(tmp_path):
    rng = np.random.default_rng(0)
    samples = [(f"S001C001P001R001A00{i}", i, rng.normal(size=(2, 10 + i, 25, 3)).astype(np.float32))
               for i in range(1, 4)]
    interop.write_pyskl(tmp_path / "a.pkl", {"xsub_train": [s[0] for s in samples[:2]],
                                             "xsub_val": [samples[2][0]]}, samples)
    split, got = interop.read_pyskl(tmp_path / "a.pkl")
    assert split["xsub_val"] == [samples[2][0]]
    for n, lab, a in samples:
        assert got[n][1] == lab and np.array_equal(got[n][2], a)
    interop.write_stgcn(tmp_path / "xsub", "train", samples)
    back = interop.read_stgcn(tmp_path / "xsub", "train")
    for (n, lab, a), (n2, lab2, a2) in zip(samples, back):
        assert (n, lab) == (n2, lab2) and np.array_equal(a, a2)
    data = np.load(tmp_path / "xsub" / "train_data.npy")
    assert data.shape == (3, 3, 300, 25, 2)
    (tmp_path / "bad.pkl").write_bytes(b"not a pickle")
    with pytest.raises(DataFormatError, match="bad.pkl"):
        interop.read_pyskl(tmp_path / "bad.pkl")


def test_raw_to_pyskl_to_samples_identical(tmp_path):
    from pkg_skeleton.data.fake import make_fake_ntu

    root = make_fake_ntu(tmp_path / "raw", num_classes=2, performers=(1, 3), cameras=(1,), frames=(20, 22))
    cfg = DataConfig(root=root)
    tr, _ = load_split(cfg, "train")
    te, _ = load_split(cfg, "test")
    interop.write_pyskl(tmp_path / "n.pkl", {"xsub_train": [s[0] for s in tr], "xsub_val": [s[0] for s in te]},
                        tr + te)
    back, _ = load_split(DataConfig(dataset="pyskl", root=tmp_path / "n.pkl", train_split="xsub_train",
                                    centring="none"), "train")
    for (n, lab, a), (n2, lab2, a2) in zip(tr, back):
        assert (n, lab) == (n2, lab2) and np.array_equal(a, a2)


def test_crop_resize_ramp_is_exact():
    f = 40
    a = np.arange(f, dtype=np.float32)[None, :, None, None].repeat(2, 0).repeat(25, 2).repeat(3, 3)
    start, size = transforms.crop_window(f, False, None, 0.5, 1.0, 0, 0.95)
    assert (start, size) == (1, 38)  # floor(40 * 0.95) = 38, centred
    out = transforms.resize_time(a[:, start : start + size], 19)
    # linear interpolation with align_corners=False of a ramp: source x = (i + 0.5) * 38/19 - 0.5
    expected = start + np.clip((np.arange(19) + 0.5) * 2 - 0.5, 0, 37)
    np.testing.assert_allclose(out[0, :, 0, 0].numpy(), expected, atol=1e-5)


def test_multi_clip_test_windows_hand_case():
    assert transforms.test_windows(100, 1, 0.95) == [(2, 95)]  # the single centre crop
    assert transforms.test_windows(100, 3, 0.5) == [(0, 50), (25, 50), (50, 50)]
    assert transforms.test_windows(41, 5, 0.8) == [(0, 32), (2, 32), (4, 32), (7, 32), (9, 32)]  # round(k*9/4)


def test_dataset_with_test_clips_yields_each_crop():
    """Item i of a 3-clip test set = clip i % 3 of sample i // 3, each the ramp's own crop resized."""
    from pkg_skeleton.data.dataset import SkeletonDataset

    ramp = np.arange(40, dtype=np.float32)[None, :, None, None].repeat(25, 2).repeat(3, 3) + 1
    cfg = DataConfig(test_crop=0.5, test_clips=3)
    ds = SkeletonDataset([("a", 0, ramp), ("b", 1, 2 * ramp)], cfg, 20, 1, train=False)
    assert len(ds) == 6
    for i, (start, label, scale) in enumerate([(0, 0, 1), (10, 0, 1), (20, 0, 1), (0, 1, 2), (10, 1, 2), (20, 1, 2)]):
        x, _, y = ds[i]
        assert y == label
        # crop of 20 frames resized to 20 frames is the crop itself
        np.testing.assert_allclose(x[0, :, 0, 0].numpy(), scale * (start + 1 + np.arange(20)), atol=1e-5)


def test_train_crop_bounds():
    rng = np.random.default_rng(0)
    for _ in range(50):
        s, n = transforms.crop_window(100, True, rng, 0.5, 1.0, 64, 0.95)
        assert 64 <= n <= 100 and 0 <= s <= 100 - n


def test_centring_keeps_absent_joints_zero():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 5, 25, 3)).astype(np.float32)
    a[1, 2:] = 0
    a[0, 1, 7] = 0
    c = transforms.centre(a, "per_frame_person0_joint2")
    assert not c[1, 2:].any() and not c[0, 1, 7].any()
    np.testing.assert_allclose(c[0, :, 1], 0, atol=1e-6)
    np.testing.assert_allclose(c[1, 0, 3], a[1, 0, 3] - a[0, 0, 1], atol=1e-6)
    r = transforms.centre(a, "rotate")
    spine = r[0, 0, 1] - r[0, 0, 0]
    np.testing.assert_allclose(spine / np.linalg.norm(spine), [0, 0, 1], atol=1e-5)
    sh = r[0, 0, 4] - r[0, 0, 8]
    assert abs(sh[1]) < 1e-5 and sh[0] > 0


def test_prepare_layout():
    from pkg_skeleton.data.dataset import prepare

    x, motion = prepare(np.ones((1, 10, 25, 3), np.float32), DataConfig(), 32, 2, False, None)
    assert x.shape == (3, 32, 25, 2) and motion.numel() == 0 and not x[..., 1].any()
    x, motion = prepare(np.ones((2, 10, 25, 3), np.float32), DataConfig(motion_source="raw"), 32, 2, False, None)
    assert motion.shape == x.shape and torch.all(motion == 0)


def test_pyskl_2d_coco_pickle_feeds_hcn(tmp_path):
    from pkg_skeleton.config import ModelConfig
    from pkg_skeleton.data.dataset import SkeletonDataset
    from pkg_skeleton.models import build_model

    rng = np.random.default_rng(0)
    samples = [(f"v{i}", i % 3, rng.uniform(0, 500, size=(1, 20, 17, 2)).astype(np.float32)) for i in range(4)]
    interop.write_pyskl(tmp_path / "k.pkl", {"xsub_train": ["v0", "v1"], "xsub_val": ["v2", "v3"]}, samples)
    cfg = DataConfig(dataset="pyskl", root=tmp_path / "k.pkl", train_split="xsub_train", test_split="xsub_val",
                     centring="first_frame")
    tr, _ = load_split(cfg, "train")
    x, _, y = SkeletonDataset(tr, cfg, 32, 2, train=False)[0]
    assert x.shape == (2, 32, 17, 2) and y == 0
    model = build_model(ModelConfig(num_classes=3, in_channels=2, num_joints=17))
    assert model(x[None]).shape == (1, 3)
