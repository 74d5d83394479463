"""ASST training loss (spec section 3): L = L_se + beta * L_in.

L_se = CE(softmax(s), g_s) + CE(softmax(e), g_e) over valid steps (optionally with Gaussian
boundary smoothing of width ``boundary_sigma`` steps); L_in = BCE(sigmoid(m_t), 1[g_s <= t <= g_e])
averaged over valid steps, positive weight #neg/#pos clipped to [1, ``pos_weight_max``] (lower clip 1: ours).
With distance heads (asst_plus, logits (B, T, 5)): + ``dist_weight`` * L1 between softplus(channels 3, 4)
and the distances in steps from each inside step's centre to the continuous GT start / end, averaged
over inside steps.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _boundary_ce(logits: torch.Tensor, target: torch.Tensor, valid: torch.Tensor, sigma: float) -> torch.Tensor:
    logp = F.log_softmax(logits.masked_fill(~valid, -1e9), -1)
    if sigma > 0:
        t = torch.arange(logits.shape[1], device=logits.device, dtype=logits.dtype)
        dist = torch.exp(-0.5 * ((t[None] - target[:, None].to(logits.dtype)) / sigma) ** 2) * valid
        dist = dist / dist.sum(-1, keepdim=True).clamp_min(1e-12)
        return -(dist * logp).sum(-1)
    return -logp.gather(1, target[:, None]).squeeze(1)


def asst_loss(logits: torch.Tensor, mask: torch.Tensor, target: torch.Tensor, beta: float = 1.0,
              boundary_sigma: float = 0.0, pos_weight_max: float = 10.0, target_cont: torch.Tensor | None = None,
              dist_weight: float = 1.0) -> dict[str, torch.Tensor]:
    """logits (B, T, 3|5), mask (B, T), target (B, 2) inclusive steps, target_cont (B, 2) GT in (fractional)
    steps -> {"loss", "se", "inside", "dist"}."""
    valid = mask > 0
    gs, ge = target[:, 0], target[:, 1]
    l_se = _boundary_ce(logits[..., 0], gs, valid, boundary_sigma) + _boundary_ce(logits[..., 1], ge, valid, boundary_sigma)
    t = torch.arange(logits.shape[1], device=logits.device)
    inside = ((t[None] >= gs[:, None]) & (t[None] <= ge[:, None]) & valid).to(logits.dtype)
    vm = valid.to(logits.dtype)
    n_pos = inside.sum(-1).clamp_min(1.0)
    n_neg = (vm.sum(-1) - inside.sum(-1)).clamp_min(0.0)
    pos_w = (n_neg / n_pos).clamp(min=1.0, max=pos_weight_max)
    bce = F.binary_cross_entropy_with_logits(logits[..., 2], inside, reduction="none")
    weights = torch.where(inside > 0, pos_w[:, None].expand_as(inside), torch.ones_like(inside)) * vm
    l_in = (bce * weights).sum(-1) / vm.sum(-1).clamp_min(1.0)
    l_se, l_in = l_se.mean(), l_in.mean()
    loss = l_se + beta * l_in
    l_d = torch.zeros((), device=logits.device)
    if logits.shape[-1] == 5:
        if target_cont is None:
            target_cont = torch.stack([gs, ge + 1], 1).to(logits.dtype)
        centre = t[None].to(logits.dtype) + 0.5
        want = torch.stack([centre - target_cont[:, :1], target_cont[:, 1:] - centre], -1).clamp_min(0.0)
        err = (F.softplus(logits[..., 3:5]) - want).abs().sum(-1) * inside
        l_d = (err.sum(-1) / inside.sum(-1).clamp_min(1.0)).mean()
        loss = loss + dist_weight * l_d
    return {"loss": loss, "se": l_se.detach(), "inside": l_in.detach(), "dist": l_d.detach()}
