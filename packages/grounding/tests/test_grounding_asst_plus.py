"""asst_plus: Transformer translator and boundary-distance heads (counts by hand, loss, refinement, export,
a short training run on the fake QVHighlights set)."""

import dataclasses

import numpy as np
import pytest
import torch

from pkg_grounding.config import DataConfig, GroundingConfig, ModelConfig, TrainConfig
from pkg_grounding.decode import refine_windows
from pkg_grounding.engine.export import example_inputs, export_torchscript
from pkg_grounding.losses import asst_loss
from pkg_grounding.models import build_model
from pkg_grounding.recipes import resolve_recipe
from pkg_shared.config import load_config
from pkg_shared.engine import count_params

PLUS = ModelConfig(video_dim=20, vocab_size=40, word_dim=12, hidden=8, levels=2, translator="transformer",
                   translator_heads=4, heads="sei_dist")


def _lstm(i, h):
    return 2 * 4 * (h * i + h * h + 2 * h)


def _lin(i, o, bias=True):
    return i * o + (o if bias else 0)


def _encoder_layer(w):
    return 2 * 2 * w + _lin(w, 3 * w) + _lin(w, w) + _lin(w, 2 * w) + _lin(2 * w, w)  # 2 LayerNorms, attn, FFN


def test_asst_plus_recipe_size_matches_a_hand_count():
    cfg = load_config(GroundingConfig, resolve_recipe("asst_plus"), ["model.video_dim=2816", "model.vocab_size=8000"])
    m = build_model(cfg.model)
    d, w, e, levels = 256, 512, 300, 3
    per_level = _lstm(w, d) + _lin(w, d) + _lin(w, d, False) + _lin(d, 1, False) + _lin(3 * w, w)
    per_level += 2 * _encoder_layer(w) + 2 * w  # two layers + the final LayerNorm
    want = 8000 * e + e + _lstm(e, d) + _lin(2816, w) + (levels - 1) * (3 * w * w + w) + levels * per_level
    want += _lin(w, 5)  # start / end / inside + two distances
    assert count_params(m) == want


def test_distance_loss_hand_case():
    t = 4
    logits = torch.zeros(1, t, 5)
    logits[..., 3:5] = -30.0  # softplus ~ 0: predicted distances 0
    target = torch.tensor([[1, 2]])  # inside steps 1 and 2
    cont = torch.tensor([[1.0, 3.0]])  # GT [1, 3) in steps: centres 1.5, 2.5 -> (0.5, 1.5) and (1.5, 0.5)
    res = asst_loss(logits, torch.ones(1, t), target, target_cont=cont, dist_weight=2.0)
    assert res["dist"].item() == pytest.approx(2.0, abs=1e-6)  # mean over inside steps of |d_s| + |d_e| = 2
    base = asst_loss(logits[..., :3], torch.ones(1, t), target)
    assert res["loss"].item() == pytest.approx(base["loss"].item() + 2.0 * 2.0, abs=1e-5)


def test_refine_windows_hand_case():
    # 4 steps over 8 s (2 s a step); window = steps 1..2 = [2, 6) s; distances say start at 1.0 steps,
    # end at 2.75 steps: step 1 (centre 1.5) -> (0.5, 1.25), step 2 (centre 2.5) -> (1.5, 0.25)
    dist = np.array([[9, 9], [0.5, 1.25], [1.5, 0.25], [9, 9]], dtype=float)
    out = refine_windows(np.array([[2.0, 6.0, 0.7]]), dist, 8.0)
    np.testing.assert_allclose(out, [[2.0, 5.5, 0.7]])
    # an impossible refinement (end before start) keeps the window
    np.testing.assert_allclose(refine_windows(np.array([[2.0, 4.0, 0.1]]), np.array([[0, 0], [-5, -5], [0, 0], [0, 0]]),
                                              8.0), [[2.0, 4.0, 0.1]])


def test_asst_plus_gradients_reach_every_parameter_and_exports():
    torch.manual_seed(0)
    m = build_model(dataclasses.replace(PLUS, freeze_embeddings=False))
    v, vm, w, wm = example_inputs(8, 20, 40)
    w[0, 0] = 1
    m(v, vm, w, wm).sum().backward()
    dead = [n for n, p in m.named_parameters() if p.requires_grad and (p.grad is None or p.grad.abs().sum() == 0)]
    assert dead == []
    assert export_torchscript(m, example_inputs(8, 20, 40), _tmp("m.ts")) < 1e-5


def _tmp(name):
    import tempfile

    return str(__import__("pathlib").Path(tempfile.mkdtemp()) / name)


def test_asst_plus_onnx_export_matches_pytorch():
    pytest.importorskip("onnxruntime")
    from pkg_grounding.engine.export import export_onnx

    torch.manual_seed(0)
    assert export_onnx(build_model(PLUS), example_inputs(8, 20, 40), _tmp("m.onnx")) < 1e-4


def test_asst_plus_overfits_charades_fake(tmp_path):
    """Loss falls clearly and R@1,IoU=0.5 on the training queries rises; the distance heads learn too."""
    import csv

    from pkg_grounding.data.dataset import read_split
    from pkg_grounding.data.fake import write_fake_charades
    from pkg_grounding.engine.evaluate import headline, predict, score_predictions
    from pkg_grounding.engine.train import train

    write_fake_charades(tmp_path / "d", videos=10, queries_per_video=2, dim=16)
    cfg = GroundingConfig(
        model=dataclasses.replace(PLUS, video_dim=16, hidden=16, word_dim=16, freeze_embeddings=False,
                                  video_dropout=0.0, rnn_dropout=0.0, word_dropout=0.0),
        data=DataConfig(root=str(tmp_path / "d"), features="vgg_rgb_features.hdf5", num_steps=16, val_fraction=0.0),
        train=TrainConfig(epochs=30, batch_size=4, lr=1e-2, log_every=1, max_steps=1))
    cpu = torch.device("cpu")

    def r1(res):
        q, _ = read_split(res["config"].data, "train")
        preds = predict(res["model"], q, res["features"], res["vocab"], res["config"], cpu)
        return headline(score_predictions(preds, q, res["config"]))[1]

    before = r1(train(cfg, tmp_path / "r0", cpu))
    res = train(dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, max_steps=0)), tmp_path / "r1", cpu)
    losses = [h["loss"] for h in res["history"]]
    after = r1(res)
    assert losses[-1] < 0.5 * losses[0]
    assert after >= 0.5 and after > before  # 0.81 here
    with open(tmp_path / "r1" / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    dist = [float(r["loss_dist"]) for r in rows if r.get("loss_dist")]
    assert np.mean(dist[-10:]) < 0.7 * np.mean(dist[:10])
