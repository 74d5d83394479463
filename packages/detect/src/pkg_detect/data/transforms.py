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


def choose_crop(hw: tuple[int, int], crop_hw: tuple[int, int], positives: np.ndarray, rng: np.random.Generator
                ) -> tuple[int, int, int, int]:
    """(y0, x0, ch, cw) of a random crop that keeps >= 1 positive (spec §7): one positive is drawn and
    the window is drawn among those holding its whole body line (top and bottom vertex); uniform
    when there is no positive or none fits."""
    h, w = hw
    ch, cw = min(crop_hw[0], h), min(crop_hw[1], w)
    ylo, yhi, xlo, xhi = 0, h - ch, 0, w - cw
    pos = np.asarray(positives, np.float64).reshape(-1, 4)
    fits = pos[(pos[:, 3] <= ch)]
    if len(fits):
        x, y, bw, bh = fits[int(rng.integers(len(fits)))]
        cx = x + bw / 2
        ylo, yhi = max(ylo, int(np.ceil(y + bh - ch))), min(yhi, int(np.floor(y)))
        xlo, xhi = max(xlo, int(np.ceil(cx - cw + 1))), min(xhi, int(np.floor(cx)))
        if ylo > yhi or xlo > xhi:  # the line leaves the frame: fall back to uniform
            ylo, yhi, xlo, xhi = 0, h - ch, 0, w - cw
    return int(rng.integers(ylo, yhi + 1)), int(rng.integers(xlo, xhi + 1)), ch, cw


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
