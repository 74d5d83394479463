"""MCN ranking loss (spec section 3, option ``loss.kind = mcn_ranking``).

L = mean_b [ sum_{m != g, m valid} max(0, margin - s(q, g) + s(q, m))                    (intra-video)
           + lambda * max(0, margin - s(q, g) + s(q, g of another video in the batch)) ]  (inter-video)
with s = -squared distance; the "other video" is the next sample of the batch (a roll by one).
"""

from __future__ import annotations

import torch


def mcn_ranking_loss(scores: torch.Tensor, gt: torch.Tensor, margin: float = 0.1, inter_weight: float = 0.2,
                     inter_scores: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """scores (B, 21) with -1e9 for invalid moments; gt (B,) moment indices; inter_scores (B,) optional."""
    pos = scores.gather(1, gt[:, None])
    valid = scores > -1e8
    others = valid & (torch.arange(scores.shape[1], device=scores.device)[None] != gt[:, None])
    intra = (torch.clamp(margin - pos + scores, min=0) * others).sum(1)
    loss = intra
    inter = torch.zeros_like(intra)
    if inter_scores is not None:
        inter = torch.clamp(margin - pos[:, 0] + inter_scores, min=0)
        loss = loss + inter_weight * inter
    return {"loss": loss.mean(), "se": intra.mean().detach(), "inside": inter.mean().detach()}
