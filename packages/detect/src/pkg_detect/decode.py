"""Decoding predicted maps into boxes (spec §4): vertex peaks, line-integral pair scores,
Hungarian bipartite matching, fixed-aspect (0.41) boxes.

All functions work on numpy arrays of *activated* maps of one image: ``top`` (H, W), ``bottom``
(H, W), ``line`` (C, H, W) with C = 2 (directed field) or 1 (line map).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.optimize import linear_sum_assignment

from pkg_detect.config import DecodeConfig, MRFConfig
from pkg_detect.targets import cell_to_image, image_to_cell


@dataclasses.dataclass
class Candidates:
    tops: np.ndarray  # (Nt, 2) image x, y
    top_scores: np.ndarray  # (Nt,)
    bottoms: np.ndarray  # (Nb, 2)
    bottom_scores: np.ndarray  # (Nb,)


def find_peaks(m: np.ndarray, thresh: float, max_n: int, subcell: bool = True, stride: int = 4
               ) -> tuple[np.ndarray, np.ndarray]:
    """3x3 local maxima >= thresh (max-pool NMS), highest first, as image coordinates.

    Sub-cell refinement fits a parabola to the log-values of the two neighbours along each axis,
    which is exact for a Gaussian peak.
    """
    m = np.asarray(m, dtype=np.float64)
    h, w = m.shape
    padded = np.pad(m, 1, constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    is_max = (m >= windows.max(axis=(2, 3))) & (m >= thresh)
    vs, us = np.nonzero(is_max)
    vals = m[vs, us]
    order = np.argsort(-vals, kind="stable")[:max_n]
    vs, us, vals = vs[order], us[order], vals[order]
    fu, fv = us.astype(np.float64), vs.astype(np.float64)
    if subcell and len(vs):
        for k, (v, u) in enumerate(zip(vs, us)):
            fu[k] += _log_parabola(m, v, u, 0, 1, w)
            fv[k] += _log_parabola(m, v, u, 1, 0, h)
    pts = np.stack([cell_to_image(fu, stride), cell_to_image(fv, stride)], 1) if len(vs) else np.zeros((0, 2))
    return pts, vals


def _log_parabola(m: np.ndarray, v: int, u: int, dv: int, du: int, size: int) -> float:
    i = u if du else v
    if i - 1 < 0 or i + 1 >= size:
        return 0.0
    a, b, c = m[v - dv, u - du], m[v, u], m[v + dv, u + du]
    if min(a, b, c) <= 1e-6:
        return 0.0
    la, lb, lc = np.log(a), np.log(b), np.log(c)
    den = la - 2 * lb + lc
    if den >= -1e-12:
        return 0.0
    return float(np.clip(0.5 * (la - lc) / den, -0.5, 0.5))


def find_candidates(top: np.ndarray, bottom: np.ndarray, cfg: DecodeConfig, stride: int = 4) -> Candidates:
    t, ts = find_peaks(top, cfg.vertex_thresh, cfg.max_candidates, cfg.subcell, stride)
    b, bs = find_peaks(bottom, cfg.vertex_thresh, cfg.max_candidates, cfg.subcell, stride)
    return Candidates(t, ts, b, bs)


def bilinear(line: np.ndarray, px: np.ndarray, py: np.ndarray, stride: int = 4) -> np.ndarray:
    """Sample (C, H, W) maps at image points -> (C, *px.shape); outside the grid clamps to the edge."""
    c, h, w = line.shape
    u = np.clip(image_to_cell(px, stride), 0, w - 1)
    v = np.clip(image_to_cell(py, stride), 0, h - 1)
    u0 = np.floor(u).astype(int)
    v0 = np.floor(v).astype(int)
    u1 = np.minimum(u0 + 1, w - 1)
    v1 = np.minimum(v0 + 1, h - 1)
    au, av = u - u0, v - v0
    return (line[:, v0, u0] * (1 - au) * (1 - av) + line[:, v0, u1] * au * (1 - av)
            + line[:, v1, u0] * (1 - au) * av + line[:, v1, u1] * au * av)


def pair_scores(c: Candidates, line: np.ndarray, image_height: float, cfg: DecodeConfig, stride: int = 4
                ) -> np.ndarray:
    """(Nt, Nb) pair scores S(t, b); invalid pairs are -inf."""
    nt, nb = len(c.tops), len(c.bottoms)
    s = np.full((nt, nb), -np.inf)
    if nt == 0 or nb == 0:
        return s
    dx = c.bottoms[None, :, 0] - c.tops[:, None, 0]
    dy = c.bottoms[None, :, 1] - c.tops[:, None, 1]
    ok = (dy >= cfg.h_min) & (dy <= cfg.h_max_frac * image_height) & (np.abs(dx) <= cfg.max_dx_frac * dy)
    ti, bi = np.nonzero(ok)
    if len(ti) == 0:
        return s
    t, b = c.tops[ti], c.bottoms[bi]
    frac = np.linspace(0.0, 1.0, cfg.n_samples)
    px = t[:, None, 0] + frac[None] * (b[:, None, 0] - t[:, None, 0])
    py = t[:, None, 1] + frac[None] * (b[:, None, 1] - t[:, None, 1])
    samples = bilinear(line, px, py, stride)  # (C, P, N)
    if line.shape[0] == 2:
        e = (b - t) / np.linalg.norm(b - t, axis=1, keepdims=True)
        proj = samples[0] * e[:, None, 0] + samples[1] * e[:, None, 1]
    else:
        proj = samples[0]
    s_line = proj.mean(axis=1)
    good = (proj > cfg.line_thresh).mean(axis=1) >= cfg.line_frac
    score = s_line
    if cfg.pair_score == "line_x_vertices":
        score = s_line * np.sqrt(np.clip(c.top_scores[ti], 0, None) * np.clip(c.bottom_scores[bi], 0, None))
    s[ti[good], bi[good]] = score[good]
    return s


def match_pairs(s: np.ndarray, thresh: float) -> list[tuple[int, int, float]]:
    """Maximum-weight bipartite matching of the score matrix (Hungarian), keeping S >= thresh."""
    if s.size == 0 or not np.isfinite(s).any():
        return []
    valid = np.isfinite(s) & (s >= thresh)
    if not valid.any():
        return []
    # invalid pairs weigh 0, so they never beat leaving a vertex unmatched
    w = np.where(valid, s, 0.0)
    rows, cols = linear_sum_assignment(-w)
    return [(int(r), int(c), float(s[r, c])) for r, c in zip(rows, cols) if valid[r, c]]


def pair_box(t: np.ndarray, b: np.ndarray, aspect: float = 0.41, height_mode: str = "vertical") -> np.ndarray:
    """[x, y, w, h] of the 0.41-aspect box around the line t->b (top at t_y)."""
    h = float(b[1] - t[1]) if height_mode == "vertical" else float(np.hypot(*(b - t)))
    cx = 0.5 * (t[0] + b[0])
    w = aspect * h
    return np.array([cx - w / 2, t[1], w, h])


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix of [x, y, w, h] boxes."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    iw = np.minimum(a[:, None, 0] + a[:, None, 2], b[None, :, 0] + b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 1] + a[:, None, 3], b[None, :, 1] + b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def nms(boxes: np.ndarray, iou: float) -> np.ndarray:
    """Greedy NMS over rows [x, y, w, h, score] (highest first); returns kept rows."""
    if len(boxes) == 0:
        return boxes
    order = np.argsort(-boxes[:, 4], kind="stable")
    boxes = boxes[order]
    ious = box_iou(boxes[:, :4], boxes[:, :4])
    keep = np.ones(len(boxes), bool)
    for i in range(len(boxes)):
        if keep[i]:
            keep[i + 1:] &= ious[i, i + 1:] <= iou
    return boxes[keep]


def decode(maps: dict[str, np.ndarray], image_size: tuple[int, int], cfg: DecodeConfig = DecodeConfig(),
           mrf: MRFConfig | None = None, stride: int = 4) -> np.ndarray:
    """Boxes (K, 5) [x, y, w, h, score] of one image, highest score first."""
    top = np.asarray(maps["top"]).reshape(np.asarray(maps["top"]).shape[-2:])
    bottom = np.asarray(maps["bottom"]).reshape(top.shape)
    line = np.asarray(maps["line"]).reshape(-1, *top.shape)
    c = find_candidates(top, bottom, cfg, stride)
    s = pair_scores(c, line, image_size[0], cfg, stride)
    if mrf is not None and mrf.enabled:
        from pkg_detect.mrf import mrf_reweight

        s = mrf_reweight(s, c, cfg, mrf)
    pairs = match_pairs(s, cfg.pair_thresh)
    rows = [np.append(pair_box(c.tops[i], c.bottoms[j], cfg.aspect, cfg.height_mode), sc) for i, j, sc in pairs]
    out = np.array(rows).reshape(-1, 5)
    out = out[np.argsort(-out[:, 4], kind="stable")]
    if cfg.nms_iou > 0:
        out = nms(out, cfg.nms_iou)
    return out[: cfg.max_dets]
