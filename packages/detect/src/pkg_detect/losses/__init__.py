"""TLL losses (spec §2.3).

``l2``: L = sum_maps w_m * sum_{u,v} W(u,v) * ||Y_hat - Y||^2 / N_valid, N_valid = number of cells with
W = 1 (at least 1). ``focal_heatmap``: CenterNet/CSP penalty-reduced focal loss on the sigmoid vertex
maps, normalised by the number of peaks (cells that are 3x3 local maxima of Y with Y > 0.3), plus the same L2 term on the link map.
"""

from __future__ import annotations

import torch

from pkg_detect.config import LossConfig


def masked_l2(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    n_valid = weight.sum().clamp(min=1.0)
    return (weight * (pred - target).pow(2)).sum() / n_valid


def focal_heatmap(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                  alpha: float = 2.0, beta: float = 4.0) -> torch.Tensor:
    p = logits.sigmoid().clamp(1e-6, 1 - 1e-6)
    # positives: the peak cell of each Gaussian (its value is < 1 when the vertex is off the cell centre)
    peak = target >= torch.nn.functional.max_pool2d(target, 3, 1, 1)
    pos = (peak & (target > 0.3)).float() * weight
    neg = (1 - pos) * weight
    pos_loss = -((1 - p) ** alpha) * torch.log(p) * pos
    neg_loss = -((1 - target) ** beta) * (p**alpha) * torch.log(1 - p) * neg
    return (pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1.0)


def tll_loss(out: dict[str, torch.Tensor], tgt: dict[str, torch.Tensor], cfg: LossConfig = LossConfig()
             ) -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss and its parts; ``out`` holds raw head outputs, cropped to the target size."""
    h, w = tgt["top"].shape[-2:]
    o = {k: v[..., :h, :w] for k, v in out.items()}
    wgt = tgt["weight"]
    if cfg.kind == "l2":
        lt = masked_l2(o["top"], tgt["top"], wgt)
        lb = masked_l2(o["bottom"], tgt["bottom"], wgt)
    else:
        lt = focal_heatmap(o["top"], tgt["top"], wgt, cfg.focal_alpha, cfg.focal_beta)
        lb = focal_heatmap(o["bottom"], tgt["bottom"], wgt, cfg.focal_alpha, cfg.focal_beta)
    ll = masked_l2(o["line"], tgt["line"], wgt.expand_as(tgt["line"]) if tgt["line"].shape[1] > 1 else wgt)
    # a 2-channel field: weight both channels, normalise per cell (not per channel)
    if tgt["line"].shape[1] > 1:
        ll = ll * tgt["line"].shape[1]
    wt, wb, wl = cfg.weights
    total = wt * lt + wb * lb + wl * ll
    return total, {"loss": total.item(), "loss_top": lt.item(), "loss_bottom": lb.item(), "loss_line": ll.item()}
