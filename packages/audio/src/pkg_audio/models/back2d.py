"""2-D ResNet over the (1, C_f, T) "image" (spec 3.3): torchvision-style basic blocks, option B."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class BasicBlock(nn.Module):
    """3x3 conv (stride s) - BN - ReLU - 3x3 conv - BN, + identity or 1x1-conv/BN projection, ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + self.shortcut(x))


class ResNet2D(nn.Module):
    """Returns the list of stage outputs S1..Sn so that the head can attend at several depths."""

    def __init__(
        self,
        in_channels: int = 1,
        stem_channels: int = 32,
        widths: Sequence[int] = (64, 128, 256, 512),
        blocks: Sequence[int] = (2, 2, 2, 2),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, stem_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(stem_channels),
            nn.ReLU(inplace=True),
        )
        stages = []
        c = stem_channels
        for w, b in zip(widths, blocks):
            stages.append(nn.Sequential(BasicBlock(c, w, 2), *[BasicBlock(w, w, 1) for _ in range(b - 1)]))
            c = w
        self.stages = nn.ModuleList(stages)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.widths = tuple(widths)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(image)
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x if i == 0 else self.dropout(x))
            outs.append(x)
        return outs
