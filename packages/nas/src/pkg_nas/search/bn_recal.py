"""BN recalibration before scoring a candidate with inherited weights.

For every BN on the active path: reset running stats, set ``momentum=None`` (cumulative moving
average, i.e. the plain mean over the recalibration batches), run the batches in train mode under
``no_grad``, then restore the momentum. Inactive blocks' BNs are not touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import nn


@torch.no_grad()
def recalibrate_bn(model: nn.Module, batches: Iterable[torch.Tensor], active: Sequence[int] | None = None,
                   device: torch.device | str = "cpu") -> int:
    """Recompute BN statistics of the active path; returns the number of batches used."""
    if active is not None and hasattr(model, "active_modules"):
        mods = [m for _, top in model.active_modules(active) for m in top.modules()]
    else:
        mods = list(model.modules())
    bns = [m for m in mods if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(bn, bn.momentum) for bn in bns]
    was = model.training
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()
    n = 0
    try:
        for x in batches:
            x = x[0] if isinstance(x, (tuple, list)) else x
            x = x.to(device)
            model(x) if active is None else model(x, active)
            n += 1
    finally:
        for bn, m in saved:
            bn.momentum = m
        model.train(was)
    return n
