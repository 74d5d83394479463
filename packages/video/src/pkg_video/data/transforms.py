"""Spatial pipeline on uint8 THWC RGB clips -> normalised float CTHW (official MMAction2 values)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F


def rescale_size(h: int, w: int, short: int) -> tuple[int, int]:
    """Keep aspect, short side -> ``short``; new long side ``int(long*scale + 0.5)``."""
    scale = short / min(h, w)
    return (short, int(w * scale + 0.5)) if h <= w else (int(h * scale + 0.5), short)


def resize_short(clip: torch.Tensor, short: int) -> torch.Tensor:
    """Bilinear resize of a THWC uint8 clip to the given short side; returns float TCHW."""
    t, h, w, _ = clip.shape
    nh, nw = rescale_size(h, w, short)
    x = clip.permute(0, 3, 1, 2).float()
    if (nh, nw) != (h, w):
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
    return x


def three_crop_offsets(h: int, w: int, size: int) -> list[tuple[int, int]]:
    """(y, x) of the three square crops along the long side: 0, (L-s)//2, 2*((L-s)//2)."""
    if h >= w:
        step = (h - size) // 2
        return [(0, (w - size) // 2), (step, (w - size) // 2), (2 * step, (w - size) // 2)]
    step = (w - size) // 2
    return [((h - size) // 2, 0), ((h - size) // 2, step), ((h - size) // 2, 2 * step)]


def normalise(x: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """TCHW float 0-255 -> CTHW normalised."""
    m = torch.tensor(mean, dtype=x.dtype).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=x.dtype).view(1, 3, 1, 1)
    return ((x - m) / s).permute(1, 0, 2, 3).contiguous()


def _crop(x: torch.Tensor, y0: int, x0: int, size: int) -> torch.Tensor:
    if x.shape[-2] < size or x.shape[-1] < size:
        raise ValueError(f"crop {size} larger than frame {tuple(x.shape[-2:])}")
    return x[..., y0:y0 + size, x0:x0 + size]


def random_crop_offset(size: int, crop: int, rng: np.random.Generator) -> int:
    """MMAction2 ``RandomCrop``: ``randint(0, size - crop)`` when the frame is larger (the last offset,
    ``size - crop``, is never drawn), else 0."""
    return int(rng.integers(0, size - crop)) if size > crop else 0


def train_transform(clip: torch.Tensor, rng: np.random.Generator, scale: Sequence[int], crop: int, flip: bool,
                    mean, std) -> torch.Tensor:
    """Random short side in [lo, hi] (integers) -> random crop (MMAction2 offsets) -> flip p=0.5 -> normalise."""
    short = int(rng.integers(scale[0], scale[1] + 1))
    x = resize_short(clip, short)
    h, w = x.shape[-2:]
    y0, x0 = random_crop_offset(h, crop, rng), random_crop_offset(w, crop, rng)
    x = _crop(x, y0, x0, crop)
    if flip and rng.random() < 0.5:
        x = x.flip(-1)
    return normalise(x, mean, std)


def centre_transform(clip: torch.Tensor, short: int, crop: int, mean, std) -> torch.Tensor:
    x = resize_short(clip, short)
    h, w = x.shape[-2:]
    return normalise(_crop(x, (h - crop) // 2, (w - crop) // 2, crop), mean, std)


def three_crop_transform(clip: torch.Tensor, short: int, size: int, mean, std) -> list[torch.Tensor]:
    x = resize_short(clip, short)
    h, w = x.shape[-2:]
    return [normalise(_crop(x, y0, x0, size), mean, std) for y0, x0 in three_crop_offsets(h, w, size)]
