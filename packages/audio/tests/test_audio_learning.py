"""Every variant learns the fake set (loss falls clearly, mAP on it rises), also under mix-training.

In-memory clips and full-batch Adam keep this to seconds per variant; the real loop (sampler,
decoding, checkpoints) is exercised by test_audio_train.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pkg_audio.config import MixConfig, load
from pkg_audio.data.clips import build_split, load_classes
from pkg_audio.data.mixing import mix_batch
from pkg_audio.losses import tagging_loss
from pkg_audio.metrics import evaluate_scores
from pkg_audio.models import VARIANTS, build_model


@pytest.fixture(scope="module")
def clips(fake_root, tiny):
    cfg = load(None, [f"data.root={fake_root}", *tiny, "model.front_only_widths=[16,16]", "model.n_mels=32"])
    cs = build_split(cfg.data, load_classes(cfg.data), "monitor")  # balanced_train: the first label cycles the classes
    n = 12  # every class appears
    x = torch.from_numpy(np.stack([cs.load(i) for i in range(n)]))
    return cfg, x, torch.from_numpy(cs.targets[:n])


def _map(model, x, y) -> float:
    model.eval()
    with torch.no_grad():
        p = model(x)["clipwise"].numpy()
    model.train()
    return evaluate_scores(y.numpy(), p)["mAP"]


def _fit(cfg, x, y, variant, steps, mixing="none", seed=0):
    torch.manual_seed(seed)
    model = build_model(cfg.model.__class__(**{**cfg.model.__dict__, "variant": variant}))
    before = _map(model, x, y)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(seed)
    mcfg = MixConfig(mixing=mixing)
    losses = []
    for _ in range(steps):
        if mixing == "none":
            xb, yb = x, y
        else:  # pairs (2k, 2k+1) of a random permutation, as the loop draws them
            perm = torch.randperm(len(x), generator=gen)
            xb, yb, _ = mix_batch(x[perm], y[perm], mcfg, gen)
        loss = tagging_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return model, before, _map(model, x, y), losses


STEPS = int(__import__("os").environ.get("AUDIO_FIT_STEPS", "80"))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_overfits_the_fake_set(clips, variant):
    cfg, x, y = clips
    model, before, after, losses = _fit(cfg, x, y, variant, steps=STEPS)
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:3]), losses
    assert after > before + 0.15 and after > 0.6, (before, after)


def test_mixtraining_still_converges(clips):
    """Trained only on mixtures with union targets, the model still ranks the clean clips' labels."""
    cfg, x, y = clips
    _, before, after, losses = _fit(cfg, x, y, "raw_mla", steps=50, mixing="mixtrain")
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:3]), losses
    assert after > before + 0.1, (before, after)


def test_attention_peaks_where_the_event_is(clips):
    """Frame-level attention x classifier (the heat map's lower panel) of a trained model is highest
    in the half of the clip that holds the event."""
    from pkg_audio.data.fake import event

    cfg, x, y = clips
    model, _, after, _ = _fit(cfg, x, y, "raw_mla", steps=STEPS)
    assert after > 0.9
    model.eval()
    rng = np.random.default_rng(0)
    n = x.shape[1]
    hits = 0
    for c in range(12):
        for first_half in (True, False):
            w = 0.01 * rng.standard_normal(n).astype(np.float32)
            m = n // 2
            w[(0 if first_half else m):(m if first_half else n)] += 0.3 * event(c, m, 16000, rng)
            with torch.no_grad():
                out = model(torch.from_numpy(w)[None])
            fm = (out["att"][0] * out["cla"][0])[0, c].numpy()  # finest attention level, class c
            t = len(fm)
            early, late = fm[: t // 2].sum(), fm[t - t // 2:].sum()
            hits += (early > late) == first_half
    assert hits >= 18, hits  # of 24 placements (chance 12; P(>=18 | chance) ~ 0.01); 20 measured
