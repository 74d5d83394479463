"""Top-vertex, bottom-vertex and link heads: three 1x1 convolutions at stride 4 (spec §3.2)."""

from __future__ import annotations

import math

import torch
from torch import nn


class TLLHeads(nn.Module):
    """Outputs ``top`` (1 ch), ``bottom`` (1 ch) and ``line`` (2 ch field or 1 ch map).

    With ``vertex_logits=True`` (focal loss) the vertex heads start at a low prior (bias -2.19),
    and :meth:`activate` applies a sigmoid; with the L2 loss outputs are linear.
    """

    def __init__(self, channels: int, line_channels: int = 2, vertex_logits: bool = False) -> None:
        super().__init__()
        self.top = nn.Conv2d(channels, 1, 1)
        self.bottom = nn.Conv2d(channels, 1, 1)
        self.line = nn.Conv2d(channels, line_channels, 1)
        self.vertex_logits = vertex_logits
        for conv in (self.top, self.bottom, self.line):
            nn.init.normal_(conv.weight, std=0.01)
            nn.init.zeros_(conv.bias)
        if vertex_logits:
            prior = -math.log((1 - 0.1) / 0.1)
            nn.init.constant_(self.top.bias, prior)
            nn.init.constant_(self.bottom.bias, prior)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"top": self.top(x), "bottom": self.bottom(x), "line": self.line(x)}

    def activate(self, out: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if not self.vertex_logits:
            return out
        return {"top": out["top"].sigmoid(), "bottom": out["bottom"].sigmoid(), "line": out["line"]}
