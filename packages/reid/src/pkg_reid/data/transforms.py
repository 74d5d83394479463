"""Image transforms on CHW float tensors, drawing randomness from torch's global RNG.

Using the global torch generator (not python's ``random``) means a checkpoint's RNG state fixes
the augmentation of the next batches, so resume reproduces training exactly.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from pkg_reid.config import DataConfig


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(255.0)


def resize(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    if x.shape[1:] == (h, w):
        return x
    return F.interpolate(x[None], size=(h, w), mode="bilinear", align_corners=False, antialias=True)[0]


class EvalTransform:
    """Deterministic: resize to (H, W) and normalise."""

    def __init__(self, cfg: DataConfig) -> None:
        self.h, self.w = cfg.height, cfg.width
        self.mean = torch.tensor(cfg.mean).view(3, 1, 1)
        self.std = torch.tensor(cfg.std).view(3, 1, 1)

    def __call__(self, rgb: np.ndarray) -> torch.Tensor:
        return (resize(to_tensor(rgb), self.h, self.w) - self.mean) / self.std


class TrainTransform(EvalTransform):
    """Resize, horizontal flip (p), zero-pad + random crop back, normalise, random erasing (p)."""

    def __init__(self, cfg: DataConfig) -> None:
        super().__init__(cfg)
        self.flip_p, self.pad, self.erase_p = cfg.flip_p, cfg.pad, cfg.random_erasing

    def __call__(self, rgb: np.ndarray) -> torch.Tensor:
        x = resize(to_tensor(rgb), self.h, self.w)
        if self.flip_p > 0 and torch.rand(()) < self.flip_p:
            x = x.flip(2)
        if self.pad > 0:
            x = F.pad(x, (self.pad,) * 4)
            i = int(torch.randint(0, 2 * self.pad + 1, ()))
            j = int(torch.randint(0, 2 * self.pad + 1, ()))
            x = x[:, i : i + self.h, j : j + self.w]
        x = (x - self.mean) / self.std
        if self.erase_p > 0 and torch.rand(()) < self.erase_p:
            x = random_erase(x)
        return x


def random_erase(x: torch.Tensor, area=(0.02, 0.4), ratio=(0.3, 3.3)) -> torch.Tensor:
    """Zhong et al.'s random erasing: one rectangle of random area/aspect filled with noise."""
    _, h, w = x.shape
    for _ in range(10):
        a = float(torch.empty(()).uniform_(*area)) * h * w
        r = float(torch.empty(()).uniform_(np.log(ratio[0]), np.log(ratio[1])).exp())
        eh, ew = int(round((a * r) ** 0.5)), int(round((a / r) ** 0.5))
        if 0 < eh < h and 0 < ew < w:
            i = int(torch.randint(0, h - eh + 1, ()))
            j = int(torch.randint(0, w - ew + 1, ()))
            x = x.clone()
            x[:, i : i + eh, j : j + ew] = torch.randn(x.shape[0], eh, ew)
            return x
    return x
