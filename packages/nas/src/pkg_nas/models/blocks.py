"""The three block families. Parameter names follow torchvision's ResNet so state dicts line up."""

from __future__ import annotations

import torch
from torch import nn


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


def conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 1, stride=stride, bias=False)


class PlainBlock(nn.Module):
    """VGG-like: one 3x3 conv -> BN -> ReLU; downsampling by 2x2 max-pool (or stride-2 conv)."""

    expansion = 1

    def __init__(self, cin: int, cout: int, stride: int = 1, down: str = "pool") -> None:
        super().__init__()
        self.pool = nn.MaxPool2d(2, 2) if (stride != 1 and down == "pool") else None
        conv_stride = stride if (stride != 1 and down == "conv") else 1
        self.conv1 = conv3x3(cin, cout, conv_stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pool is not None:
            x = self.pool(x)
        return self.relu(self.bn1(self.conv1(x)))

    def zero_init_last_bn(self) -> None:
        """A plain block has no shortcut, so zeroing its BN would kill the signal: no-op."""


class BasicBlock(nn.Module):
    """ResNet basic block; shortcut = 1x1 conv + BN when the shape changes (option B)."""

    expansion = 1

    def __init__(self, cin: int, cout: int, stride: int = 1, down: str = "pool") -> None:
        super().__init__()
        self.conv1 = conv3x3(cin, cout, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(conv1x1(cin, cout, stride), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)

    def zero_init_last_bn(self) -> None:
        nn.init.zeros_(self.bn2.weight)


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: stride on the 3x3; output width 4 x the stage width."""

    expansion = 4

    def __init__(self, cin: int, width: int, stride: int = 1, down: str = "pool") -> None:
        super().__init__()
        cout = width * self.expansion
        self.conv1 = conv1x1(cin, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, cout)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(conv1x1(cin, cout, stride), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)

    def zero_init_last_bn(self) -> None:
        nn.init.zeros_(self.bn3.weight)


BLOCKS: dict[str, type[nn.Module]] = {"plain": PlainBlock, "basic": BasicBlock, "bottleneck": Bottleneck}
