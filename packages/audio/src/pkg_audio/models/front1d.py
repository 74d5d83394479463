"""1-D ResNet on the raw waveform: the learned "spectrogram" of the paper (spec 3.2)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Res1D(nn.Module):
    """Max-pool by ``pool`` (when > 1), then conv3-BN-ReLU-conv3-BN plus a (projected) shortcut, ReLU.

    Pooling first, as PANNs' waveform ResNets do, keeps convolutions at the reduced rate.
    """

    def __init__(self, c_in: int, c_out: int, pool: int = 1) -> None:
        super().__init__()
        self.pool = nn.MaxPool1d(pool, pool) if pool > 1 else nn.Identity()
        self.conv1 = nn.Conv1d(c_in, c_out, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm1d(c_out)
        self.conv2 = nn.Conv1d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm1d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut: nn.Module = nn.Identity()
        if c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv1d(c_in, c_out, 1, bias=False), nn.BatchNorm1d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + self.shortcut(x))


def _stage(c_in: int, c_out: int, pool: int, blocks: int) -> nn.Sequential:
    layers = [Res1D(c_in, c_out, pool)] + [Res1D(c_out, c_out, 1) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class WaveResNet1D(nn.Module):
    """(B, L) waveform -> (B, C_f, T) feature map, T = L / (stem_stride * prod(pools))."""

    def __init__(
        self,
        stem_kernel: int = 7,
        stem_channels: int = 32,
        stem_stride: int = 2,
        widths: Sequence[int] = (64, 128, 128),
        pools: Sequence[int] = (4, 4, 5),
        blocks: Sequence[int] = (2, 2, 2),
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(1, stem_channels, stem_kernel, stride=stem_stride, padding=stem_kernel // 2, bias=False),
            nn.BatchNorm1d(stem_channels),
            nn.ReLU(inplace=True),
        )
        stages = []
        c = stem_channels
        for w, p, b in zip(widths, pools, blocks):
            stages.append(_stage(c, w, p, b))
            c = w
        self.stages = nn.Sequential(*stages)
        self.out_channels = c

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        if wave.dim() != 2:
            raise ValueError(f"expected a (batch, samples) waveform, got shape {tuple(wave.shape)}")
        return self.stages(self.stem(wave.unsqueeze(1)))


def to_image(feat: torch.Tensor) -> torch.Tensor:
    """(B, C, T) -> (B, 1, C, T): channels become image rows ("frequency"); a pure view, no weights."""
    return feat.unsqueeze(1)
