"""VGG with configurable widths, laid out like torchvision's VGG so its state dicts load.

``features`` holds Conv2d(+BN)+ReLU and MaxPool modules at torchvision's indices; ``classifier``
is torchvision's 3-layer head (ImageNet) or a configurable one (CIFAR). Pruned models are the
same class with smaller widths.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

VGG16_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


class VGG(nn.Module):
    def __init__(self, cfg: Sequence[int | str] = VGG16_CFG, *, batch_norm: bool = False, num_classes: int = 1000,
                 pool_size: int = 7, hidden: Sequence[int] = (4096, 4096), dropout: float = 0.5,
                 conv_bias: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers.append(nn.Conv2d(c, int(v), 3, padding=1, bias=conv_bias))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(int(v)))
                layers.append(nn.ReLU(inplace=True))
                c = int(v)
        self.cfg = list(cfg)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(pool_size)
        head: list[nn.Module] = []
        d = c * pool_size * pool_size
        for h in hidden:
            head += [nn.Linear(d, h), nn.ReLU(inplace=True), nn.Dropout(dropout)]
            d = h
        head.append(nn.Linear(d, num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def vgg16(num_classes: int = 1000, batch_norm: bool = False) -> VGG:
    """ImageNet VGG-16 (torchvision layout: load ``torchvision`` vgg16 state dicts directly)."""
    return VGG(VGG16_CFG, batch_norm=batch_norm, num_classes=num_classes)


def vgg16_cifar(num_classes: int = 10, width: float = 1.0, hidden: Sequence[int] = ()) -> VGG:
    """CIFAR VGG-16: BN, 1x1 map after the 5th pool, the 512-d feature goes to the FC classifier."""
    cfg = [v if v == "M" else max(4, int(v * width)) for v in VGG16_CFG]
    return VGG(cfg, batch_norm=True, num_classes=num_classes, pool_size=1, hidden=tuple(hidden), dropout=0.0)
