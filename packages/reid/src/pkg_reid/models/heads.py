"""Per-level embedding heads and their fusion (the multi-level part of LITM).

For each tapped stage: global average pooling, then
- ``trinet``: FC C->hidden, BN1d, ReLU, FC hidden->d (Hermans et al.'s TriNet head),
- ``bnneck``: FC C->d followed by BN1d (the BN output is the embedding),
- ``linear``: FC C->d.
"""

from __future__ import annotations

import torch
from torch import nn


class LevelHead(nn.Module):
    def __init__(self, in_ch: int, kind: str = "trinet", hidden: int = 1024, dim: int = 128) -> None:
        super().__init__()
        if kind == "trinet":
            self.body = nn.Sequential(
                nn.Linear(in_ch, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, dim)
            )
        elif kind == "bnneck":
            self.body = nn.Sequential(nn.Linear(in_ch, dim), nn.BatchNorm1d(dim))
        elif kind == "linear":
            self.body = nn.Linear(in_ch, dim)
        else:
            raise ValueError(f"unknown head {kind!r}")
        self.dim = dim

    def forward(self, fmap: torch.Tensor) -> torch.Tensor:
        return self.body(fmap.mean(dim=(2, 3)))


class ResidualShift(nn.Module):
    """LITM ``residual_shift`` mode: f_s = f_{s-1} + g_s(f_{s-1}), g_s zero-initialised (identity at start)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.lin = nn.Linear(dim, dim)
        nn.init.zeros_(self.lin.weight)
        nn.init.zeros_(self.lin.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.lin(x)
