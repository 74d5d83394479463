"""Training targets of TLL (spec §2): Gaussian top/bottom vertex maps, directed link field, ignore mask.

Grid convention: output cell (u, v) at stride s has its centre at image pixel
p = s * (u + 0.5) - 0.5 (x from column u, y from row v); :func:`cell_to_image` and
:func:`image_to_cell` convert both ways.
"""

from __future__ import annotations

import numpy as np

from pkg_detect.config import TargetConfig


def cell_to_image(u: np.ndarray | float, stride: int = 4):
    return stride * (np.asarray(u, dtype=np.float64) + 0.5) - 0.5


def image_to_cell(p: np.ndarray | float, stride: int = 4):
    return (np.asarray(p, dtype=np.float64) + 0.5) / stride - 0.5


def vertices(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top and bottom vertices (midpoints of the top and bottom box edges) of [x, y, w, h] boxes."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    cx = b[:, 0] + b[:, 2] / 2
    return np.stack([cx, b[:, 1]], 1), np.stack([cx, b[:, 1] + b[:, 3]], 1)


def make_targets(
    boxes: np.ndarray,
    ignore: np.ndarray | None,
    out_shape: tuple[int, int],
    cfg: TargetConfig = TargetConfig(),
    line_channels: int = 2,
) -> dict[str, np.ndarray]:
    """Target maps for one image.

    ``boxes`` (N, 4) positives [x, y, w, h] in image pixels; ``ignore`` (M, 4) ignore regions.
    Returns ``top`` (1, H, W), ``bottom`` (1, H, W), ``line`` (C, H, W) and ``weight`` (1, H, W)
    (0 inside ignore regions, 1 elsewhere).
    """
    s = cfg.stride
    hh, ww = out_shape
    ys = cell_to_image(np.arange(hh), s)[:, None]
    xs = cell_to_image(np.arange(ww), s)[None, :]
    top = np.zeros((hh, ww), np.float32)
    bottom = np.zeros((hh, ww), np.float32)
    field = np.zeros((2, hh, ww), np.float64)
    count = np.zeros((hh, ww), np.float64)
    band = np.zeros((hh, ww), bool)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    tops, bots = vertices(boxes)
    for (_x, _y, w, h), t, b in zip(boxes, tops, bots):
        if h <= 0:
            continue
        sigma = max(cfg.sigma_min, cfg.sigma_kappa * h)
        for vert, target in ((t, top), (b, bottom)):
            g = np.exp(-((xs - vert[0]) ** 2 + (ys - vert[1]) ** 2) / (2 * sigma**2))
            np.maximum(target, g.astype(np.float32), out=target)
        d = b - t
        length = float(np.hypot(*d))
        n = d / length
        r = max(float(s), cfg.band_rho * w)
        rel_x, rel_y = xs - t[0], ys - t[1]
        along = rel_x * n[0] + rel_y * n[1]
        perp = np.abs(rel_x * n[1] - rel_y * n[0])
        inside = (along >= 0) & (along <= length) & (perp <= r)
        field[0][inside] += n[0]
        field[1][inside] += n[1]
        count[inside] += 1
        band |= inside
    nz = count > 0
    field[:, nz] /= count[nz]
    weight = np.ones((hh, ww), np.float32)
    for x, y, w, h in np.asarray(ignore if ignore is not None else [], dtype=np.float64).reshape(-1, 4):
        m = (xs >= x - 0.5 * s) & (xs <= x + w + 0.5 * s) & (ys >= y - 0.5 * s) & (ys <= y + h + 0.5 * s)
        weight[m] = 0.0
    line = field.astype(np.float32) if line_channels == 2 else band.astype(np.float32)[None]
    return {"top": top[None], "bottom": bottom[None], "line": line, "weight": weight[None]}


def flip_targets(t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Horizontal flip of target maps: mirror columns, negate the x component of the link field."""
    out = {k: v[..., ::-1].copy() for k, v in t.items()}
    if out["line"].shape[0] == 2:
        out["line"][0] *= -1
    return out
