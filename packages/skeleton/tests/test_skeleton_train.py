"""Training loop: exact resume, overfitting a tiny procedural set, detection windows."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from pkg_skeleton.config import DataConfig, ModelConfig, RecognitionConfig, TrainConfig
from pkg_skeleton.data.dataset import load_split
from pkg_skeleton.data.fake import make_fake_ntu


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = make_fake_ntu(tmp_path_factory.mktemp("ntu"), num_classes=4, performers=(1, 3), cameras=(1, 2),
                         frames=(30, 40))
    cfg = RecognitionConfig(
        model=ModelConfig(num_classes=4, frames=16, num_persons=1, dropout=0.5),
        data=DataConfig(root=root, train_crop_min=0.8),
        train=TrainConfig(epochs=2, batch_size=4, tensorboard=False, eval_every=1),
    )
    return cfg, (load_split(cfg.data, "train")[0], load_split(cfg.data, "test")[0])


def test_resume_continues_exactly(tiny, tmp_path):
    from pkg_skeleton.engine.train import train

    cfg, samples = tiny
    full = train(cfg, tmp_path / "full", torch.device("cpu"), samples=samples, quiet=True)
    one = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, epochs=1))
    train(one, tmp_path / "part", torch.device("cpu"), samples=samples, quiet=True)
    resumed = train(cfg, tmp_path / "part", torch.device("cpu"), resume=True, samples=samples, quiet=True)
    a = torch.load(tmp_path / "full" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "part" / "last.pt", weights_only=True)["model"]
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert full["train_loss"] == resumed["train_loss"]
    rows = (tmp_path / "part" / "metrics.csv").read_text().splitlines()
    assert len(rows) == 3  # header + one row per epoch, none repeated


def _overfit(cfg, samples, arch, tmp_path, epochs=25):
    from pkg_skeleton.engine.train import train

    cfg = dataclasses.replace(
        cfg, model=dataclasses.replace(cfg.model, arch=arch, dropout=0.0),
        data=dataclasses.replace(cfg.data, train_crop_min=1.0, test_crop=1.0),
        train=dataclasses.replace(cfg.train, epochs=epochs, batch_size=8, eval_every=epochs))
    train_s = samples[0][:8]
    train(cfg, tmp_path, torch.device("cpu"), samples=(train_s, train_s), quiet=True)
    import csv

    with open(tmp_path / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    return float(rows[0]["train_loss"]), float(rows[-1]["train_loss"]), float(rows[-1]["test_top1"])


def test_hcn_overfits_tiny_set(tiny, tmp_path):
    first, last, acc = _overfit(*tiny, "hcn", tmp_path)
    assert last < 0.3 * first
    assert acc >= 0.75


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["hcn_local", "hcn_point", "hcn_motion", "hcn_plus"])
def test_variants_overfit_tiny_set(tiny, tmp_path, arch):
    first, last, acc = _overfit(*tiny, arch, tmp_path, epochs=40)
    assert last < 0.3 * first and acc >= 0.75


def test_detection_windows_and_sequence_detection(tmp_path):
    from pkg_skeleton.config import DetectConfig
    from pkg_skeleton.data.fake import make_fake_pkummd
    from pkg_skeleton.engine.detect import _iou, detect_sequence, window_samples, windows
    from pkg_skeleton.models import build_model

    w = windows(100, DetectConfig(win_lengths=(32, 64), stride_ratio=0.25))
    assert w[:, 0].min() == 0 and w[:, 1].max() == 99
    assert set((w[:, 1] - w[:, 0] + 1).tolist()) == {32, 64}
    root = make_fake_pkummd(tmp_path, subjects=(2, 3), actions_per_video=2)
    cfg = RecognitionConfig(task="detection", model=ModelConfig(num_classes=52, frames=16, num_persons=1),
                            data=DataConfig(dataset="pkummd_xsub", root=root),
                            detect=DetectConfig(win_lengths=(32, 64), jitter_copies=1))
    ws = window_samples(cfg, "train")
    pos = [s for s in ws if s[1] > 0]
    neg = [s for s in ws if s[1] == 0]
    assert len(pos) == 3 * 2 * 2 and 0 < len(neg) <= len(pos)
    model = build_model(cfg.model)
    seq = torch.zeros(2, 150, 25, 3).numpy()
    dets = detect_sequence(model, seq, cfg, torch.device("cpu"))
    assert dets and all(1 <= c <= 51 and 0 <= s <= e < 150 for c, s, e, _ in dets)
    assert len(dets) <= cfg.detect.max_dets
    # per-class NMS: no two kept windows of one class overlap more than nms_iou
    for c in {d[0] for d in dets}:
        segs = [(s, e) for k, s, e, _ in dets if k == c]
        iou = _iou(segs, segs)
        assert (iou[~torch.eye(len(segs), dtype=torch.bool).numpy()] <= cfg.detect.nms_iou + 1e-9).all()


def test_boundary_deltas_hand_case_and_round_trip():
    import numpy as np

    from pkg_skeleton.engine.detect import decode_deltas, encode_deltas

    anchor = np.array([[0.0, 31.0]])  # centre 15.5, length 32
    gt = np.array([[8.0, 71.0]])  # centre 39.5, length 64
    d = encode_deltas(anchor, gt)
    np.testing.assert_allclose(d, [[24 / 32, np.log(2.0)]])
    np.testing.assert_array_equal(decode_deltas(anchor, d, 1000), [[8, 71]])
    np.testing.assert_array_equal(decode_deltas(anchor, d, 50), [[8, 49]])  # clipped to the video


def test_two_stage_detection_trains_and_runs(tmp_path):
    import numpy as np

    from pkg_skeleton.config import DetectConfig
    from pkg_skeleton.data.fake import make_fake_pkummd
    from pkg_skeleton.engine.detect import detect_two_stage, proposal_samples
    from pkg_skeleton.engine.train import train
    from pkg_skeleton.models import build_model

    root = make_fake_pkummd(tmp_path / "d", subjects=(2, 3), actions_per_video=2)
    det = DetectConfig(win_lengths=(32, 64), prop_top=20)
    pcfg = RecognitionConfig(task="proposal", model=ModelConfig(num_classes=4, frames=16, num_persons=1),
                             data=DataConfig(dataset="pkummd_xsub", root=root, train_crop_min=1.0, test_crop=1.0),
                             train=TrainConfig(epochs=1, batch_size=16, tensorboard=False), detect=det)
    ps = proposal_samples(pcfg, "train")
    pos = [s for s in ps if s[1][0] == 1]
    assert pos and all(abs(s[1][1]) <= 0.5 and abs(s[1][2]) < np.log(2) for s in pos)  # IoU >= 0.5 anchors
    summary = train(pcfg, tmp_path / "prop", torch.device("cpu"), samples=(ps[:32], ps[:8]), quiet=True)
    assert np.isfinite(summary["train_loss"]) and 0 <= summary["test_top1"] <= 1
    from pkg_skeleton.engine.evaluate import load_model

    pmodel, pcfg2 = load_model(tmp_path / "prop" / "last.pt", "cpu")
    ccfg = dataclasses.replace(pcfg2, task="detection", model=dataclasses.replace(pcfg2.model, num_classes=52))
    seq = np.random.default_rng(0).normal(0, 0.1, (2, 120, 25, 3)).astype(np.float32)
    dets = detect_two_stage(pmodel, pcfg2, build_model(ccfg.model), ccfg, seq, torch.device("cpu"))
    assert dets and all(1 <= c <= 51 and 0 <= s <= e < 120 and 0 <= sc <= 1 for c, s, e, sc in dets)


def test_multi_clip_scores_average_softmax_of_each_crop(tiny):
    """test_clips=3: the scores are the mean softmax over three evenly spaced crops, computed here by hand."""
    import numpy as np
    import torch.nn.functional as F

    from pkg_skeleton.data.dataset import SkeletonDataset
    from pkg_skeleton.engine.evaluate import evaluate
    from pkg_skeleton.engine.predict import clip_scores, predict
    from pkg_skeleton.models import build_model

    cfg, (_, test_s) = tiny
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, test_crop=0.6, test_clips=3))
    torch.manual_seed(0)
    model = build_model(cfg.model).eval()
    ds = SkeletonDataset(test_s, cfg.data, 16, 1, train=False)
    scores, labels = clip_scores(*predict(model, torch.utils.data.DataLoader(ds, batch_size=5), "cpu"), 3)
    expected = []
    for _, _, a in test_s:
        f = a.shape[1]
        size = int(f * 0.6)
        probs = []
        for start in (0, round((f - size) / 2), f - size):
            crop = torch.as_tensor(a[:1, start : start + size])  # (1, size, V, C)
            x = F.interpolate(crop.permute(0, 2, 3, 1).reshape(1, -1, size), size=16, mode="linear",
                              align_corners=False).reshape(1, 25, 3, 16).permute(2, 3, 1, 0)  # (C, T, V, M)
            with torch.no_grad():
                probs.append(torch.softmax(model(x[None]), 1)[0])
        expected.append(torch.stack(probs).mean(0))
    torch.testing.assert_close(scores, torch.stack(expected), atol=1e-5, rtol=1e-4)
    assert labels.tolist() == [lab for _, lab, _ in test_s]
    res = evaluate(model, cfg, "cpu")
    assert res["test_clips"] == 3 and "3 crops per sample" in res["protocol"]
    hits = (torch.stack(expected).argmax(1) == labels).float().mean().item()
    assert res["top1"] == pytest.approx(hits) and res["num_samples"] == len(test_s)
    assert np.isclose(sum(map(sum, res["confusion"])), len(test_s))


def test_score_level_ensemble_matches_hand_fusion(tiny):
    """Fused scores = sum of weight x softmax of each member, computed here from each model's outputs."""
    from pkg_shared.errors import ConfigError
    from pkg_skeleton.engine.evaluate import ensemble, test_scores
    from pkg_skeleton.models import build_model

    cfg, _ = tiny
    plus = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, arch="hcn_plus"))
    torch.manual_seed(1)
    a, b = build_model(cfg.model).eval(), build_model(plus.model).eval()
    _, sa, labels, _ = test_scores(a, cfg, "cpu")
    _, sb, _, _ = test_scores(b, plus, "cpu")
    fused = 0.3 * torch.softmax(sa, 1) + 0.7 * torch.softmax(sb, 1)
    res = ensemble([("a", a, cfg), ("b", b, plus)], [0.3, 0.7], "cpu")
    assert res["top1"] == pytest.approx((fused.argmax(1) == labels).float().mean().item())
    assert res["members"]["a"]["top1"] == pytest.approx((sa.argmax(1) == labels).float().mean().item())
    assert res["members"]["b"]["weight"] == 0.7 and "softmax" in res["fusion"]
    only_a = ensemble([("a", a, cfg), ("b", b, plus)], [1.0, 0.0], "cpu")
    assert only_a["top1"] == res["members"]["a"]["top1"]
    with pytest.raises(ConfigError, match="2 checkpoints but 1 weights"):
        ensemble([("a", a, cfg), ("b", b, plus)], [1.0], "cpu")
    other = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, max_samples=2))
    with pytest.raises(ConfigError, match="test samples differ"):
        ensemble([("a", a, cfg), ("c", a, other)], [1.0, 1.0], "cpu")
