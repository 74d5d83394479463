"""Shift-operation penalty of paper A: ``L = L_task + lambda * sum_layers sum_c (|alpha_c| + |beta_c|)``.

Plain L1, unweighted by default; ``weighting="hw"`` weights each layer by its map area H*W
(memory moved) [our option]. Only SSL and active shifts carry displacements.
"""

from __future__ import annotations

import torch
from torch import nn

from pkg_efficient.ops.shift import SparseShift2d


def shift_penalty(model: nn.Module, weighting: str = "none") -> torch.Tensor:
    terms = [m.penalty(weighting) for m in model.modules() if isinstance(m, SparseShift2d) and hasattr(m, "disp")]
    return torch.stack(terms).sum() if terms else torch.zeros(())


@torch.no_grad()
def proximal_step(model: nn.Module, threshold: float) -> None:
    """Soft-threshold displacements: d <- sign(d) * max(|d| - threshold, 0) (optional, ours)."""
    for m in model.modules():
        if isinstance(m, SparseShift2d) and hasattr(m, "disp"):
            m.disp.copy_(torch.sign(m.disp) * (m.disp.abs() - threshold).clamp_min(0))
