"""ASST shapes, masking, attention, counts of the paper configuration vs hand formulas."""

import dataclasses

import pytest
import torch

from pkg_grounding.config import ModelConfig
from pkg_grounding.models import build_model
from pkg_grounding.models.counting import count_macs_with_rnn
from pkg_grounding.models.rnn import MaskedBiRNN
from pkg_shared.engine import count_params

TINY = ModelConfig(video_dim=20, vocab_size=40, word_dim=12, hidden=8, levels=3)


def _batch(t=13, n=7, seed=0, d=20, vocab=40):
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(2, t, d, generator=g)
    vm = torch.ones(2, t)
    vm[1, 9:] = 0
    w = torch.randint(2, vocab, (2, n), generator=g)
    wm = torch.ones(2, n)
    wm[1, 5:] = 0
    w[1, 5:] = 0
    return v, vm, w, wm


@pytest.mark.parametrize("variant", [
    {}, {"attention": "dot"}, {"attention": "bilinear"}, {"translator": "gru", "word_rnn": "gru"},
    {"translator": "none"}, {"fusion": "concat"}, {"fusion": "mul"}, {"pyramid": "dilated_conv"},
    {"pyramid": "stride_rnn"}, {"integrate": "concat"}, {"levels": 1}, {"levels": 4},
    {"translator": "transformer", "translator_heads": 4}, {"heads": "sei_dist"},
])
def test_padding_does_not_change_valid_outputs(variant):
    """Spec 11.5: a sample alone == the same sample padded inside a batch of 2."""
    torch.manual_seed(0)
    m = build_model(dataclasses.replace(TINY, **variant)).eval()
    v, vm, w, wm = _batch()
    with torch.no_grad():
        both = m(v, vm, w, wm)
        alone = m(v[1:, :9], vm[1:, :9], w[1:, :5], wm[1:, :5])
    assert both.shape == (2, 13, 5 if variant.get("heads") == "sei_dist" else 3)
    torch.testing.assert_close(both[1, :9], alone[0], atol=1e-5, rtol=1e-5)


def test_attention_sums_to_one_over_valid_words():
    m = build_model(TINY).eval()
    v, vm, w, wm = _batch()
    with torch.no_grad():
        m(v, vm, w, wm)
    for alpha in m.last_attention:
        torch.testing.assert_close(alpha.sum(-1), torch.ones(alpha.shape[:2]))
        assert alpha[1, :, 5:].abs().max() == 0  # padded words get no weight


def test_masked_birnn_backward_direction_matches_reversed_sequence():
    """The backward half equals a forward pass over the reversed valid part (brute force)."""
    torch.manual_seed(0)
    rnn = MaskedBiRNN(4, 3)
    x = torch.randn(1, 6, 4)
    out = rnn(x, torch.tensor([4]))
    ref, _ = rnn.bwd(x[:, :4].flip(1))
    torch.testing.assert_close(out[0, :4, 3:], ref[0].flip(0))
    assert out[0, 4:].abs().max() == 0


def test_gradients_reach_every_parameter():
    m = build_model(dataclasses.replace(TINY, freeze_embeddings=False))
    v, vm, w, wm = _batch()
    w[0, 0] = 1  # an <unk>, so the learned unk vector gets a gradient
    m(v, vm, w, wm).sum().backward()
    dead = [n for n, p in m.named_parameters() if p.requires_grad and (p.grad is None or p.grad.abs().sum() == 0)]
    assert dead == []


# ---- paper configuration: counts from the layer table (spec 2.2), computed by hand here


def _lstm(i, h, bi=True):
    return (2 if bi else 1) * 4 * (h * i + h * h + 2 * h)


def _linear(i, o, bias=True):
    return i * o + (o if bias else 0)


def hand_params(dv, vocab, e=300, d=256, levels=3, trainable=False):
    w = 2 * d
    p = 0 if trainable else vocab * e
    p += e  # learned <unk>
    p += _lstm(e, d)  # L1
    p += _linear(dv, w)  # L2
    p += (levels - 1) * (w * w * 3 + w)  # L3 convs
    per_level = _lstm(w, d) + _linear(w, d) + _linear(w, d, False) + _linear(d, 1, False) + _linear(3 * w, w) + _lstm(w, d)
    p += levels * per_level  # L4-L7
    p += _linear(w, 3)  # L9
    return p


def hand_macs(dv, t, n, e=300, d=256, levels=3):
    w = 2 * d
    m = 2 * n * 4 * d * (e + d)  # word BiLSTM
    m += t * dv * w  # projection
    for lvl in range(levels):
        tl = t // 2**lvl
        if lvl > 0:
            m += tl * 2 * w * w * 3  # conv at the finer length, before pooling
        m += 2 * tl * 4 * d * (w + d) * 2  # context + translator BiLSTMs
        m += tl * w * d + n * w * d + tl * n * d  # additive attention projections and scores
        m += tl * n * w  # context vectors (alpha @ H)
        m += tl * 3 * w * w  # fusion
    m += t * w * 3
    return m


@pytest.mark.parametrize("name,dv,vocab,t,levels", [
    ("charades_vgg", 4096, 1300, 64, 3),
    ("didemo_rgb_flow_frames", 4096 + 1024, 7600, 30, 3),
    ("didemo_rgb_flow_chunks", 4096 + 1024, 7600, 6, 2),
])
def test_paper_config_counts(name, dv, vocab, t, levels):
    cfg = ModelConfig(video_dim=dv, vocab_size=vocab, levels=levels)
    m = build_model(cfg)
    assert count_params(m) == hand_params(dv, vocab, levels=levels)
    assert count_params(m, trainable_only=True) == hand_params(dv, vocab, levels=levels, trainable=True)
    n = 12
    t_pad = t + (-t) % 2 ** (levels - 1)
    ex = (torch.zeros(1, t, dv), torch.ones(1, t), torch.full((1, n), 5), torch.ones(1, n))
    assert count_macs_with_rnn(m, ex) == hand_macs(dv, t_pad, n, levels=levels)
