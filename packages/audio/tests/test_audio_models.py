"""Architecture: paper-size counts vs independent arithmetic and the spec, stage shapes, attention."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pkg_audio.config import ModelConfig, load
from pkg_audio.models import build_model, mel_filterbank, normalise_attention
from pkg_audio.models.front1d import to_image
from pkg_shared.engine import count_macs, count_params

K, E = 527, 512


def bn(c):
    return 2 * c


def res1d_params(ci, co):
    return 3 * ci * co + bn(co) + 3 * co * co + bn(co) + ((ci * co + bn(co)) if ci != co else 0)


def basic_params(ci, co, stride):
    return 9 * ci * co + bn(co) + 9 * co * co + bn(co) + ((ci * co + bn(co)) if (stride != 1 or ci != co) else 0)


def hand_params_default():
    """Spec 3.2-3.4 by hand: stem 7x32, stages (64,128,128) x 2 blocks; 2-D stem 3x3x32, widths
    (64,128,256,512) x 2; attention on S3 (256) and S4 (512) with E=512; fusion 2K -> K."""
    front = 7 * 32 + bn(32)
    c = 32
    for w in (64, 128, 128):
        front += res1d_params(c, w) + res1d_params(w, w)
        c = w
    back = 9 * 32 + bn(32)
    c = 32
    for w in (64, 128, 256, 512):
        back += basic_params(c, w, 2) + basic_params(w, w, 1)
        c = w
    head = sum(ch * E + bn(E) + 2 * (E * K + K) for ch in (256, 512)) + 2 * K * K + K
    return front, front + back + head


def hand_macs_default(L=160_000):
    """Multiply-adds of convolutions/linears for one 10 s clip at 16 kHz (spec shapes)."""
    t = L // 2
    macs = t * 7 * 32
    c = 32
    for w, p in zip((64, 128, 128), (4, 4, 5)):
        t //= p
        macs += t * (3 * c * w + 3 * w * w + (c * w if c != w else 0))
        macs += t * 2 * 3 * w * w
        c = w
    f, tt = 128, t
    macs += f * tt * 9 * 32
    c = 32
    level_shapes = {}
    for i, w in enumerate((64, 128, 256, 512), 1):
        f, tt = math.ceil(f / 2), math.ceil(tt / 2)
        macs += f * tt * (9 * c * w + 9 * w * w + c * w) + f * tt * 2 * 9 * w * w
        level_shapes[i] = (w, tt)
        c = w
    for lv in (3, 4):
        ch, tt = level_shapes[lv]
        macs += tt * (ch * E + 2 * E * K)
    macs += 2 * K * K
    return macs


def test_paper_param_count_matches_hand_arithmetic_and_spec():
    model = build_model(ModelConfig())
    front_hand, total_hand = hand_params_default()
    assert count_params(model) == total_hand
    assert sum(p.numel() for p in model.front.parameters()) == front_hand
    # spec 3.6: ~13.6 M parameters, ~0.43 M in the front end
    assert abs(total_hand / 1e6 - 13.6) < 0.05
    assert abs(front_hand / 1e6 - 0.43) < 0.01


def test_paper_macs_match_hand_arithmetic_and_spec():
    with torch.device("meta"):
        model = build_model(ModelConfig())
        macs = count_macs(model, torch.zeros(1, 160_000))
    assert macs == hand_macs_default()
    assert abs(macs / 1e9 - 19.0) < 0.5  # spec 3.6: ~19 GMACs per 10 s clip


@pytest.mark.parametrize("variant", ["raw_single", "raw_gap", "logmel_mla", "front_only"])
def test_paper_size_variants_build(variant):
    model = build_model(ModelConfig(variant=variant))
    n = count_params(model)
    assert 4e6 < n < 14e6


def test_stage_shapes_16k_and_32k():
    with torch.device("meta"):
        for sr, stride, n in ((16000, 2, 160_000), (32000, 4, 320_000)):
            cfg = ModelConfig(sample_rate=sr, front_stem_stride=stride)
            assert cfg.frame_stride * 100 == sr  # 10 ms frames
            m = build_model(cfg)
            x = torch.zeros(1, n)
            feat = m.front(x)
            assert tuple(feat.shape) == (1, 128, 1000)
            stages = m.back(to_image(feat))
            assert [tuple(s.shape[1:]) for s in stages] == [(64, 64, 500), (128, 32, 250), (256, 16, 125), (512, 8, 63)]
        m = build_model(ModelConfig())
        st = m.front.stem(torch.zeros(1, 1, 160_000))
        assert tuple(st.shape) == (1, 32, 80_000)
        w = m.front.stages[0](st)
        assert tuple(w.shape) == (1, 64, 20_000)
        w = m.front.stages[1](w)
        assert tuple(w.shape) == (1, 128, 5_000)
        # arbitrary lengths: 9.6 s clip
        assert m.front(torch.zeros(1, 153_600)).shape[-1] == 960


def test_transpose_is_pure_permute_with_identity_gradient():
    feat = torch.randn(2, 5, 7, requires_grad=True)
    img = to_image(feat)
    assert img.shape == (2, 1, 5, 7)
    assert torch.equal(img[:, 0], feat)  # channel -> row, time -> column
    g = torch.randn_like(img)
    img.backward(g)
    assert torch.equal(feat.grad, g[:, 0])


def test_attention_properties_and_variants():
    torch.manual_seed(0)
    logits = torch.randn(3, 6, 9)
    for mode in ("softmax", "sigmoid_norm", "keras_yu"):
        a = normalise_attention(logits, mode)
        torch.testing.assert_close(a.sum(-1), torch.ones(3, 6))
    soft = normalise_attention(logits, "softmax")
    torch.testing.assert_close(soft, torch.exp(logits) / torch.exp(logits).sum(-1, keepdim=True))
    sig = torch.sigmoid(logits)
    torch.testing.assert_close(normalise_attention(logits, "sigmoid_norm"), sig / sig.sum(-1, keepdim=True))
    kz = torch.exp(logits) / torch.exp(logits).sum(1, keepdim=True)  # softmax over classes
    torch.testing.assert_close(normalise_attention(logits, "keras_yu"), kz / kz.sum(-1, keepdim=True))
    assert not torch.allclose(soft, normalise_attention(logits, "keras_yu"))


def test_level_prediction_between_min_and_max_of_frame_probabilities():
    cfg = load("tiny_fake").model
    m = build_model(cfg).eval()
    with torch.no_grad():
        out = m(torch.randn(2, 16000) * 0.1)
    for p, a, c in zip(out["levels"], out["att"], out["cla"]):
        assert torch.all(p >= c.min(-1).values - 1e-6) and torch.all(p <= c.max(-1).values + 1e-6)
        torch.testing.assert_close((a * c).sum(-1), p)
    assert out["clipwise"].shape == (2, 12)
    torch.testing.assert_close(out["clipwise"], torch.sigmoid(out["logit"]))


@pytest.mark.parametrize("variant", ["raw_mla", "raw_single", "raw_gap", "logmel_mla", "front_only"])
def test_tiny_variants_forward_backward_reach_every_parameter(variant):
    cfg = load("tiny_fake", [f"model.variant={variant}", "model.n_mels=16", "model.front_only_widths=[16,24]"]).model
    m = build_model(cfg)
    out = m(torch.randn(3, 8000) * 0.1)
    assert out["clipwise"].shape == (3, 12)
    out["clipwise"].sum().backward()
    missing = [n for n, p in m.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing


def test_mel_filterbank_matches_librosa():
    librosa = pytest.importorskip("librosa")
    ours = mel_filterbank(16000, 512, 64, 0.0, None)
    ref = librosa.filters.mel(sr=16000, n_fft=512, n_mels=64, fmin=0.0, fmax=None)
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-7)


def test_bad_model_config_is_an_error():
    from pkg_shared.errors import ConfigError

    with pytest.raises(ConfigError):
        load("tiny_fake", ["model.att_levels=[5]"])
    with pytest.raises(ConfigError):
        load("tiny_fake", ["model.no_such_key=1"])
