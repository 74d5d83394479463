"""Triplet losses on a P x K batch, with the diagnostics LITM relies on.

Batch-hard hinge (Hermans et al. 2017), for N = P*K anchors a:

    L_BH(m) = 1/|A| * sum_a [ m + max_{p: y_p = y_a, p != a} d(a, p) - min_{n: y_n != y_a} d(a, n) ]_+

with d the Euclidean distance sqrt(clamp(|a|^2 + |b|^2 - 2 a.b, 1e-12)) (or its square when
``squared``). Anchors without a positive (an identity with one image) or without a negative are
skipped (set A), so a degenerate batch never crashes. ``soft_margin`` replaces the hinge by
softplus(d_ap - d_an) (no margin); ``batch_all`` averages the hinge over every valid
(a, p, n) triplet that is active (> 0), the usual "batch all, non-zero mean" variant.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def distance_matrix(x: torch.Tensor, squared: bool = False) -> torch.Tensor:
    sq = (x * x).sum(1)
    d2 = (sq[:, None] + sq[None, :] - 2.0 * (x @ x.T)).clamp_min(1e-12)
    return d2 if squared else d2.sqrt()


@dataclass
class TripletStats:
    loss: torch.Tensor
    d_ap: torch.Tensor  # (num valid anchors,) hardest-positive distances (detached)
    d_an: torch.Tensor  # hardest-negative distances (detached)
    active_frac: float
    num_anchors: int


def triplet_loss(
    emb: torch.Tensor, labels: torch.Tensor, margin: float, kind: str = "batch_hard", squared: bool = False
) -> TripletStats:
    n = emb.shape[0]
    dist = distance_matrix(emb.float(), squared)
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(n, dtype=torch.bool, device=emb.device)
    pos = same & ~eye
    neg = ~same
    valid = pos.any(1) & neg.any(1)
    big = torch.finfo(dist.dtype).max
    d_ap = torch.where(pos, dist, torch.full_like(dist, -1.0)).max(1).values
    d_an = torch.where(neg, dist, torch.full_like(dist, big)).min(1).values
    d_ap, d_an = d_ap[valid], d_an[valid]
    if valid.sum() == 0:
        zero = emb.sum() * 0.0
        empty = dist.new_zeros(0)
        return TripletStats(zero, empty, empty, 0.0, 0)
    if kind == "batch_hard":
        hinge = F.relu(margin + d_ap - d_an)
        loss = hinge.mean()
        active = float((hinge > 0).float().mean())
    elif kind == "soft_margin":
        loss = F.softplus(d_ap - d_an).mean()
        active = float((d_ap - d_an + margin > 0).float().mean())
    elif kind == "batch_all":
        # t[a, p, n] = m + d(a, p) - d(a, n) over valid triplets
        t = margin + dist[:, :, None] - dist[:, None, :]
        mask = pos[:, :, None] & neg[:, None, :]
        vals = F.relu(t[mask])
        n_active = (vals > 0).sum()
        loss = vals.sum() / n_active.clamp_min(1)
        active = float(n_active) / max(int(mask.sum()), 1)
    else:
        raise ValueError(f"unknown triplet loss kind {kind!r}")
    return TripletStats(loss, d_ap.detach(), d_an.detach(), active, int(valid.sum()))
