"""Building blocks of paper A: the conv-shift-conv unit and the FE-Net blocks.

Every block keeps the 1x1 -> BN -> ReLU -> shift -> 1x1 -> BN order (ReLU commutes with a
zero-padded shift, so the position of the shift inside the sandwich is a free choice; the stride
sits on the shift, i.e. the projection runs at the reduced resolution).
"""

from __future__ import annotations

import torch
from torch import nn

from pkg_efficient.ops.shift import SparseShift2d


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """MobileNetV2's channel rounding: nearest multiple of ``divisor``, never below 90% of v."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class ShiftUnit(nn.Module):
    """[1x1 expand -> BN -> ReLU] -> shift (stride s) -> 1x1 project -> BN (no final ReLU).

    ``expand`` is None when the expansion is 1 and the input is shifted directly.
    """

    def __init__(self, c_in: int, mid: int, c_out: int, stride: int = 1, expand: bool = True,
                 shift: dict | None = None) -> None:
        super().__init__()
        shift = dict(shift or {})
        if expand:
            self.expand = nn.Conv2d(c_in, mid, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(mid)
            self.relu = nn.ReLU(inplace=True)
        else:
            if mid != c_in:
                raise ValueError("without expansion the shifted width must equal the input width")
            self.expand = self.bn1 = self.relu = None
        self.shift = SparseShift2d(mid, stride=stride, **shift)
        self.project = nn.Conv2d(mid, c_out, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.expand is not None:
            x = self.relu(self.bn1(self.expand(x)))
        return self.bn2(self.project(self.shift(x)))


class TransitionBlock(nn.Module):
    """Full-width inverted residual with SSL (first block of an FE-Net stage)."""

    def __init__(self, c_in: int, c_out: int, t: int, stride: int, shift: dict | None = None) -> None:
        super().__init__()
        self.unit = ShiftUnit(c_in, c_in * t, c_out, stride, expand=t != 1, shift=shift)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.unit(x)
        return x + y if self.residual else y


class FEBlock(nn.Module):
    """FE block: process the first ``a`` channels (inverted residual with SSL), pass the rest
    through, then rotate channels by ``a`` so the next block processes the next slice."""

    def __init__(self, channels: int, t: int, phi: float, shift: dict | None = None) -> None:
        super().__init__()
        self.a = min(channels, make_divisible(phi * channels)) if phi < 1 else channels
        self.unit = ShiftUnit(self.a, self.a * t, self.a, 1, expand=t != 1, shift=shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.a
        head = x[:, :a]
        y = head + self.unit(head)
        if a == x.shape[1]:
            return y
        return torch.cat([x[:, a:], y], dim=1)  # [rest, processed] == [processed, rest] rotated by a


class CSCBlock(nn.Module):
    """Shift-ResNet CIFAR block: ReLU(CSC(x) + shortcut(x)), option-A shortcut (pad + subsample)."""

    def __init__(self, c_in: int, c_out: int, stride: int, expansion: int, shift: dict | None = None) -> None:
        super().__init__()
        self.unit = ShiftUnit(c_in, c_in * expansion, c_out, stride, expand=True, shift=shift)
        self.stride, self.pad = stride, c_out - c_in
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sc = x
        if self.stride != 1 or self.pad:
            sc = nn.functional.avg_pool2d(x, self.stride) if self.stride != 1 else x
            sc = nn.functional.pad(sc, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return self.relu(self.unit(x) + sc)
