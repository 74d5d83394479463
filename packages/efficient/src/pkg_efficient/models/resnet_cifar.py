"""CIFAR ResNets (He et al. 2016, option-A shortcuts) and their Shift-ResNet variants (paper A ablations)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pkg_efficient.models.blocks import CSCBlock


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.stride, self.pad = stride, c_out - c_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        sc = x
        if self.stride != 1 or self.pad:
            sc = F.avg_pool2d(x, self.stride) if self.stride != 1 else x
            sc = F.pad(sc, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(y + sc)


class ResNetCIFAR(nn.Module):
    """depth = 6n + 2; widths 16/32/64 (scaled by ``width``); ``expansion`` > 0 builds CSC blocks."""

    def __init__(self, depth: int = 20, num_classes: int = 10, expansion: int = 0, shift: dict | None = None,
                 width: int = 16) -> None:
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2, got {depth}")
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        blocks: list[nn.Module] = []
        c = width
        for i, c_out in enumerate([width, 2 * width, 4 * width]):
            for j in range(n):
                s = 2 if i > 0 and j == 0 else 1
                blocks.append(CSCBlock(c, c_out, s, expansion, shift) if expansion else BasicBlock(c, c_out, s))
                c = c_out
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layers(x)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))
