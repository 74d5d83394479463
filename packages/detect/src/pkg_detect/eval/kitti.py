"""KITTI pedestrian AP (devkit rules, simplified to 2D boxes): Easy / Moderate / Hard, AP11 and AP40.

GT of class Pedestrian counts when it passes the difficulty's min height, max occlusion and max
truncation; other Pedestrian GT, ``DontCare`` and ``Person_sitting`` boxes are ignored (a detection
matched to them is neither TP nor FP). Detections lower than the min height are ignored. Greedy
matching by descending score with IoU >= 0.5. AP11 samples recall 0, 0.1, ..., 1; AP40 samples
1/40 ... 1; precision is interpolated as the max precision at recall >= r.
"""

from __future__ import annotations

import numpy as np

from pkg_detect.data.kitti import KittiObject
from pkg_detect.decode import box_iou

DIFFICULTIES = {"Easy": (40, 0, 0.15), "Moderate": (25, 1, 0.30), "Hard": (25, 2, 0.50)}


def _xywh(b: np.ndarray) -> np.ndarray:
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    return np.column_stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]])


def _match(gt: list[KittiObject], dt: list[KittiObject], diff: str):
    min_h, max_occ, max_trunc = DIFFICULTIES[diff]
    valid, ignore = [], []
    for g in gt:
        h = g.box[3] - g.box[1]
        if g.type == "Pedestrian":
            ok = h >= min_h and g.occluded <= max_occ and g.truncated <= max_trunc
            (valid if ok else ignore).append(g.box)
        elif g.type in ("DontCare", "Person_sitting"):
            ignore.append(g.box)
    dts = [d for d in dt if d.type == "Pedestrian"]
    dts.sort(key=lambda d: -(d.score or 0.0))
    vb, ib = _xywh(np.array(valid)), _xywh(np.array(ignore))
    used = np.zeros(len(vb), bool)
    out = []  # (score, 1 tp / 0 fp / -1 ignored)
    for d in dts:
        h = d.box[3] - d.box[1]
        db = _xywh(d.box)
        if h < min_h:
            out.append((d.score or 0.0, -1))
            continue
        ious = box_iou(db, vb)[0] if len(vb) else np.zeros(0)
        ious = np.where(used, -1, ious)
        if len(ious) and ious.max() >= 0.5:
            used[int(ious.argmax())] = True
            out.append((d.score or 0.0, 1))
        elif len(ib) and box_iou(db, ib)[0].max() >= 0.5:
            out.append((d.score or 0.0, -1))
        else:
            out.append((d.score or 0.0, 0))
    return out, len(vb)


def average_precision(gt_frames, dt_frames, diff: str = "Moderate", points: int = 40) -> float:
    res, n_gt = [], 0
    for g, d in zip(gt_frames, dt_frames):
        r, n = _match(g, d, diff)
        res += r
        n_gt += n
    res = [r for r in res if r[1] != -1]
    if n_gt == 0:
        return float("nan")
    res.sort(key=lambda r: -r[0])
    tp = np.cumsum([r[1] == 1 for r in res])
    fp = np.cumsum([r[1] == 0 for r in res])
    recall = tp / n_gt
    prec = tp / np.maximum(tp + fp, 1)
    rs = np.linspace(0, 1, 11) if points == 11 else np.linspace(1 / 40, 1, 40)
    ap = 0.0
    for r in rs:
        p = prec[recall >= r - 1e-12]
        ap += p.max() if len(p) else 0.0
    return float(ap / len(rs))
