"""Image + box augmentations (applied before target rendering, so maps stay consistent).

Flip convention: pixel centres are integers, the image spans [-0.5, W - 0.5], so a box
[x, x + w] mirrors to [W - 1 - x - w, W - 1 - x] -- the same mirror that :func:`targets.flip_targets`
applies to the stride-4 grid when W is a multiple of 4.
"""

from __future__ import annotations

import numpy as np


def hflip(img: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = img.shape[1]
    b = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    b[:, 0] = w - 1 - b[:, 0] - b[:, 2]
    return img[:, ::-1].copy(), b


def rescale(img: np.ndarray, boxes: list[np.ndarray], s: float):
    import cv2

    if s == 1.0:
        return img, boxes
    h, w = img.shape[:2]
    nh, nw = max(int(round(h * s)), 1), max(int(round(w * s)), 1)
    img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    sx, sy = nw / w, nh / h
    out = []
    for b in boxes:
        b = np.array(b, dtype=np.float64).reshape(-1, 4)
        b[:, [0, 2]] *= sx
        b[:, [1, 3]] *= sy
        out.append(b)
    return img, out


def crop(img: np.ndarray, boxes: list[np.ndarray], y0: int, x0: int, ch: int, cw: int):
    img = img[y0:y0 + ch, x0:x0 + cw]
    out = []
    for b in boxes:
        b = np.array(b, dtype=np.float64).reshape(-1, 4)
        b[:, 0] -= x0
        b[:, 1] -= y0
        out.append(b)
    return img, out


def photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brightness/contrast jitter on float [0, 1] images."""
    a = rng.uniform(0.8, 1.2)
    b = rng.uniform(-0.1, 0.1)
    return np.clip(img * a + b, 0, 1)
