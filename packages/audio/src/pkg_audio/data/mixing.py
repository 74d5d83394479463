"""Mix-training (the paper) and mixup (the ablation it is compared with), spec section 5.

Both take a batch of 2B clips paired as (2k, 2k+1) — PANNs' pairing — and return B examples.

- mix-training: x = a*x_i + (1-a)*x_j with a ~ U(a_min, 1-a_min) (or Beta(A, A)); target is the
  hard union min(1, y_i + y_j), never fractional.
- mixup: lambda ~ Beta(a, a); target lambda*y_i + (1-lambda)*y_j.
Examples not selected by ``mix_prob`` keep clip i and its own target.
"""

from __future__ import annotations

import torch

from pkg_audio.config import MixConfig, parse_beta


def _draw_alpha(cfg: MixConfig, n: int, gen: torch.Generator) -> torch.Tensor:
    if cfg.alpha_dist == "uniform":
        a = torch.rand(n, generator=gen, dtype=torch.float64)
    else:
        conc = parse_beta(cfg.alpha_dist)
        a = _beta(conc, n, gen)
    lo = cfg.mix_alpha_min
    return (lo + (1 - 2 * lo) * a).float()


def _beta(conc: float, n: int, gen: torch.Generator) -> torch.Tensor:
    """Beta(c, c) from two Gamma draws using the explicit generator (for exact resume)."""
    g1 = torch._standard_gamma(torch.full((n,), conc, dtype=torch.float64), generator=gen)
    g2 = torch._standard_gamma(torch.full((n,), conc, dtype=torch.float64), generator=gen)
    return g1 / (g1 + g2)


def _rms(x: torch.Tensor) -> torch.Tensor:
    return x.pow(2).mean(dim=-1, keepdim=True).sqrt().clamp_min(1e-8)


def mix_batch(waves: torch.Tensor, targets: torch.Tensor, cfg: MixConfig, gen: torch.Generator,
              mode: str | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(2B, L), (2B, K) -> mixed (B, L), targets (B, K), weights used (B,) (1 = clip i alone)."""
    mode = cfg.mixing if mode is None else mode
    if waves.shape[0] % 2:
        raise ValueError("mixing needs an even number of clips (pairs 2k, 2k+1)")
    xi, xj = waves[0::2], waves[1::2]
    yi, yj = targets[0::2], targets[1::2]
    b = xi.shape[0]
    if mode == "mixtrain":
        w = _draw_alpha(cfg, b, gen)
    elif mode == "mixup":
        w = _beta(cfg.mixup_beta, b, gen).float()
    elif mode == "none":
        return xi, yi, torch.ones(b)
    else:
        raise ValueError(f"unknown mixing mode {mode!r}")
    use = torch.rand(b, generator=gen) < cfg.mix_prob
    w = torch.where(use, w, torch.ones_like(w))
    wx = w.to(waves.dtype)[:, None]
    x = wx * xi + (1 - wx) * xj
    if cfg.renorm_rms:
        x = x * (_rms(xi) / _rms(x))
    if mode == "mixtrain":
        y = torch.where(use[:, None], torch.clamp(yi + yj, max=1.0), yi)
    else:
        y = wx * yi + (1 - wx) * yj
    return x, y, w


def phase(step: int, total: int, cfg: MixConfig) -> str:
    """``mix`` (phase A) or ``finetune`` (phase B); derived from the iteration counter so resume is exact."""
    if cfg.mixing == "none":
        return "plain"
    if not cfg.finetune:
        return "mix"
    return "mix" if step < int(round(cfg.mix_fraction * total)) else "finetune"
