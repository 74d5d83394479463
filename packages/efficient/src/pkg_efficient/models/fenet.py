"""Table-driven FE-Net builder (paper A) and SSL-MobileNetV2.

The true FE-Net layer table is not available to us; ``fenet_r_*`` is the spec's reconstruction
(MobileNetV2 stage table, FE blocks with split ratio phi, calibrated widths). Any table can be
given as data: ``FENet(stem, stages=[(t, c, n, s), ...], last, phi)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from pkg_efficient.models.blocks import FEBlock, TransitionBlock, make_divisible

MBV2_TABLE = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
FENET_R_WIDTHS = {
    # name: (stem, stage widths, last) calibrated by the spec (make_divisible to 8)
    "1.0": (40, [24, 32, 40, 80, 120, 208, 416], 1648),
    "1.375": (56, [32, 40, 56, 112, 168, 280, 568], 2272),
}


class FENet(nn.Module):
    """stem 3x3 s2 -> stages (transition + FE blocks) -> 1x1 last -> GAP -> dropout -> FC."""

    def __init__(self, stem: int, stages: Sequence[Sequence[int]], last: int, phi: float = 0.5,
                 num_classes: int = 1000, dropout: float = 0.2, shift: dict | None = None,
                 stem_stride: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Sequential(
            nn.Conv2d(3, stem, 3, stem_stride, 1, bias=False), nn.BatchNorm2d(stem), nn.ReLU(inplace=True))]
        c = stem
        for t, c_out, n, s in stages:
            layers.append(TransitionBlock(c, c_out, t, s, shift))
            c = c_out
            for _ in range(n - 1):
                layers.append(FEBlock(c, t, phi, shift))
        layers.append(nn.Sequential(nn.Conv2d(c, last, 1, bias=False), nn.BatchNorm2d(last), nn.ReLU(inplace=True)))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(last, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.features(x)).flatten(1)
        return self.classifier(self.dropout(x))


def fenet_r(width: str | float = "1.0", *, phi: float = 0.5, num_classes: int = 1000, dropout: float = 0.2,
            shift: dict | None = None, stem_stride: int = 2) -> FENet:
    """FE-Net reconstruction. ``width`` "1.0"/"1.375" use the calibrated tables; a float w scales
    the 1.0 table (for small test models)."""
    key = str(width)
    if key in FENET_R_WIDTHS:
        stem, widths, last = FENET_R_WIDTHS[key]
    else:
        w = float(width)
        base_stem, base_widths, base_last = FENET_R_WIDTHS["1.0"]
        stem = make_divisible(base_stem * w)
        widths = [make_divisible(c * w) for c in base_widths]
        last = make_divisible(base_last * max(w, 0.25))
    stages = [(t, c, n, s) for (t, _, n, s), c in zip(MBV2_TABLE, widths)]
    return FENet(stem, stages, last, phi, num_classes, dropout, shift, stem_stride)


def ssl_mobilenet_v2(width: float = 1.0, *, num_classes: int = 1000, dropout: float = 0.2,
                     shift: dict | None = None, stem_stride: int = 2) -> FENet:
    """MobileNetV2 with every depthwise 3x3 replaced by an SSL (phi = 1: FE block == inverted residual)."""
    stem = make_divisible(32 * width)
    last = make_divisible(1280 * max(1.0, width))
    stages = [(t, make_divisible(c * width), n, s) for t, c, n, s in MBV2_TABLE]
    return FENet(stem, stages, last, 1.0, num_classes, dropout, shift, stem_stride)
