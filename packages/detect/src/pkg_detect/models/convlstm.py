"""Conv-LSTM (Shi et al. 2015 form, no peepholes) for temporal feature aggregation (spec §6).

One convolution over concat(x_t, h_{t-1}) gives the gates i, f, o and the candidate g:
c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t). Zero initial state. ``forward`` unrolls a clip,
``step`` runs one frame for streaming inference; both use the same cell, so they agree exactly.
"""

from __future__ import annotations

import torch
from torch import nn


class ConvLSTMCell(nn.Module):
    def __init__(self, in_channels: int, hidden: int, kernel: int = 3) -> None:
        super().__init__()
        self.hidden = hidden
        self.conv = nn.Conv2d(in_channels + hidden, 4 * hidden, kernel, padding=kernel // 2)

    def init_state(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, _, h, w = x.shape
        z = x.new_zeros(b, self.hidden, h, w)
        return z, z.clone()

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        h, c = self.init_state(x) if state is None else state
        i, f, o, g = self.conv(torch.cat([x, h], dim=1)).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, (h, c)


class ConvLSTM(nn.Module):
    """Unrolled over time: input (B, T, C, H, W) -> hidden states (B, T, hidden, H, W)."""

    def __init__(self, in_channels: int, hidden: int, kernel: int = 3) -> None:
        super().__init__()
        self.cell = ConvLSTMCell(in_channels, hidden, kernel)

    def forward(self, x: torch.Tensor, state=None) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        outs = []
        for t in range(x.shape[1]):
            h, state = self.cell(x[:, t], state)
            outs.append(h)
        return torch.stack(outs, dim=1), state

    def step(self, x: torch.Tensor, state=None):
        return self.cell(x, state)
