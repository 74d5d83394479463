"""Mix-training vs mixup targets, phase schedule, balanced samplers and their saved state."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pkg_audio.config import MixConfig
from pkg_audio.data.mixing import mix_batch, phase
from pkg_audio.data.samplers import RandomSampler, RoundRobinBalancedSampler, WeightedClassSampler


def _batch(b=64, length=50, k=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2 * b, length, generator=g)
    y = (torch.rand(2 * b, k, generator=g) < 0.3).float()
    return x, y


def test_mixtrain_hard_union_targets_and_alpha_bounds():
    x, y = _batch()
    cfg = MixConfig(mixing="mixtrain", mix_alpha_min=0.1)
    xm, ym, a = mix_batch(x, y, cfg, torch.Generator().manual_seed(1))
    assert xm.shape == (64, 50) and ym.shape == (64, 5)
    assert set(ym.unique().tolist()) <= {0.0, 1.0}  # never fractional
    torch.testing.assert_close(ym, torch.clamp(y[0::2] + y[1::2], max=1))
    assert torch.all((a >= 0.1) & (a <= 0.9))
    torch.testing.assert_close(xm, a[:, None] * x[0::2] + (1 - a[:, None]) * x[1::2])


def test_mixup_soft_targets_and_beta_alpha():
    x, y = _batch()
    xm, ym, lam = mix_batch(x, y, MixConfig(mixing="mixup", mixup_beta=1.0), torch.Generator().manual_seed(2))
    torch.testing.assert_close(ym, lam[:, None] * y[0::2] + (1 - lam[:, None]) * y[1::2])
    assert ((ym > 0) & (ym < 1)).any()
    _, _, a = mix_batch(x, y, MixConfig(mixing="mixtrain", alpha_dist="beta:10"), torch.Generator().manual_seed(3))
    assert abs(float(a.mean()) - 0.5) < 0.05 and float(a.std()) < 0.15  # Beta(10,10) is concentrated


def test_mix_prob_keeps_unmixed_examples():
    x, y = _batch(b=200)
    xm, ym, a = mix_batch(x, y, MixConfig(mix_prob=0.5), torch.Generator().manual_seed(4))
    plain = a == 1
    assert 60 < int(plain.sum()) < 140
    torch.testing.assert_close(xm[plain], x[0::2][plain])
    torch.testing.assert_close(ym[plain], y[0::2][plain])


def test_phase_schedule_from_counter():
    cfg = MixConfig(mix_fraction=0.8)
    assert [phase(s, 10, cfg) for s in (0, 7, 8, 9)] == ["mix", "mix", "finetune", "finetune"]
    assert phase(9, 10, MixConfig(finetune=False)) == "mix"
    assert phase(0, 10, MixConfig(mixing="none")) == "plain"


def _targets(seed=0, n=200, k=6):
    rng = np.random.default_rng(seed)
    y = np.zeros((n, k), np.float32)
    freq = np.array([0.6, 0.3, 0.1, 0.05, 0.03, 0.02])
    for i in range(n):
        y[i, rng.choice(k, p=freq / freq.sum())] = 1
    return y


def test_roundrobin_draws_each_class_equally_often():
    y = _targets()
    s = RoundRobinBalancedSampler(y, seed=0)
    idx = s.next(6 * 500)
    per_class = y[idx].sum(0)  # single-label targets: each draw counts for the class it came from
    assert per_class.min() == per_class.max() == 500


def test_weighted_sampler_proportional_to_inverse_frequency():
    y = _targets()
    s = WeightedClassSampler(y, seed=0)
    idx = s.next(60_000)
    share = y[idx].sum(0) / 60_000
    assert np.all(np.abs(share - 1 / 6) < 0.02)  # single-label: w_c * n_c ~ constant


@pytest.mark.parametrize("cls", [RoundRobinBalancedSampler, WeightedClassSampler, RandomSampler])
def test_sampler_state_restores_the_same_stream(cls):
    import io

    y = _targets()
    a = cls(y, seed=5)
    a.next(37)
    buf = io.BytesIO()
    torch.save(a.state_dict(), buf)  # must survive the weights_only checkpoint loader
    st = torch.load(io.BytesIO(buf.getvalue()), weights_only=True)
    expect = a.next(50)
    b = cls(y, seed=99)
    b.load_state_dict(st)
    assert b.next(50) == expect


def test_black_list_respected():
    y = _targets()
    excl = list(range(0, 200, 2))
    for cls in (RoundRobinBalancedSampler, WeightedClassSampler, RandomSampler):
        idx = cls(y, seed=1, exclude=excl).next(500)
        assert not set(idx) & set(excl)
