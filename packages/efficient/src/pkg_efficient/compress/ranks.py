"""LDRF's rank d_l by calibration accuracy (spec §3.4 step 2): per layer, the smallest d_l such
that decomposing *only that layer* (the next layer's input side projected onto its top-d_l
singular directions, Q_l Q_l^T) lowers calibration top-1 by at most ``eps`` percentage points.

The projection uses the BN-folded weights, like the pruning chain; applying it to the unfolded
weight is equivalent because BN folding scales output channels only. The search is a bisection
(it assumes accuracy does not fall when d grows).
"""

from __future__ import annotations

import torch
from torch import nn

from pkg_efficient.compress.chain import _svd_rows


@torch.no_grad()
def top1(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 64) -> float:
    hits = 0
    for i in range(0, len(x), batch):
        hits += int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    return 100.0 * hits / max(len(x), 1)


def _project(weight: torch.Tensor, proj: torch.Tensor, channels: int) -> torch.Tensor:
    """Weight with its input-channel side multiplied by ``proj`` (channels x channels)."""
    w = weight.reshape(weight.shape[0], channels, -1)  # conv (o, c, k*k) or fc6 (o, c, p*p)
    return torch.einsum("ocs,cd->ods", w, proj.to(w.dtype)).reshape(weight.shape)


@torch.no_grad()
def accuracy_ranks(model: nn.Module, targets: list[tuple[str, torch.Tensor]], x: torch.Tensor, y: torch.Tensor,
                   eps: float = 0.1, batch: int = 64) -> list[int]:
    """``targets``: (name of the next layer's module, its folded weight as (n_next, n_l, kh, kw)).
    Returns d_l per target. ``model`` is restored afterwards."""
    model = model.eval()
    base = top1(model, x, y, batch)
    ranks = []
    for name, w_next in targets:
        mod = model.get_submodule(name)
        orig = mod.weight.detach().clone()
        n_l = w_next.shape[1]
        u, _, _ = _svd_rows(w_next.double().permute(1, 0, 2, 3).reshape(n_l, -1))

        lo, hi = 1, u.shape[1]  # full rank reproduces the layer exactly, so hi satisfies the rule
        try:
            while lo < hi:
                mid = (lo + hi) // 2
                mod.weight.copy_(_project(orig, u[:, :mid] @ u[:, :mid].T, n_l))
                if base - top1(model, x, y, batch) <= eps:
                    hi = mid
                else:
                    lo = mid + 1
        finally:
            mod.weight.copy_(orig)
        ranks.append(hi)
    return ranks
