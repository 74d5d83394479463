"""Multi-scale fusion: three deconvolution branches to stride 4, concatenation, 3x3 fusion (spec §3.2)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class L2NormScale(nn.Module):
    """CSP-style channel L2 normalisation with a learnable per-channel scale (init 10)."""

    def __init__(self, channels: int, init: float = 10.0) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels,), init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(x, dim=1) * self.scale.view(1, -1, 1, 1)


def _branch(cin: int, cout: int, stride: int, norm: str) -> nn.Sequential:
    # kernel 4: stride 2 needs padding 1 (2H), stride 4 needs padding 0 (4H)
    pad = 1 if stride == 2 else 0
    deconv = nn.ConvTranspose2d(cin, cout, 4, stride, padding=pad, bias=norm != "bn")
    if norm == "bn":
        return nn.Sequential(deconv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
    return nn.Sequential(deconv, L2NormScale(cout), nn.ReLU(inplace=True))


class FusionNeck(nn.Module):
    """res3d (s8) deconv x2, res4f (s16) and res5c (s16) deconv x4; concat; optional 3x3 conv."""

    def __init__(self, in_channels: tuple[int, int, int], in_strides: tuple[int, int, int],
                 channels: int = 256, norm: str = "bn", fuse_conv: bool = True) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            _branch(c, channels, s // 4, norm) for c, s in zip(in_channels, in_strides)
        )
        if fuse_conv:
            self.fuse = nn.Sequential(
                nn.Conv2d(3 * channels, channels, 3, padding=1, bias=False),
                nn.BatchNorm2d(channels),
                nn.ReLU(inplace=True),
            )
            self.out_channels = channels
        else:
            self.fuse = nn.Identity()
            self.out_channels = 3 * channels

    def forward(self, feats: tuple[torch.Tensor, ...]) -> torch.Tensor:
        ups = [b(f) for b, f in zip(self.branches, feats)]
        h = min(u.shape[-2] for u in ups)
        w = min(u.shape[-1] for u in ups)
        return self.fuse(torch.cat([u[..., :h, :w] for u in ups], dim=1))
