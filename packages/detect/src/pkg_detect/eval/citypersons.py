"""CityPersons evaluation exactly as the official Python script (``eval_MR_multisetup.py``).

GT from the COCO-like JSON (``val_gt.json``); detections ``[{image_id, category_id, bbox, score}]``.
Per setup, GT with ``ignore`` or height/visibility outside the (closed) ranges are ignore regions.
Per image: GT sorted ignore-last (mergesort), detections by score (mergesort), at most 1,000,
kept when height in [h1 / 1.25, h2 * 1.25); greedy matching with IoU (IoA for ignore GT) >= 0.5.
Pooled over images; FPPI denominator = all images. Recall at the hard-coded rounded FPPI points
via ``searchsorted(fppi, p, 'right') - 1`` -- an index of -1 takes the *last* recall (the script's
quirk; ``empty_prefix="zero"`` gives the MATLAB behaviour). MR = exp(mean(log(1 - recall))).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from pkg_shared.errors import DataFormatError
from pkg_shared.metrics.detection import FPPI_POINTS_EXACT, FPPI_POINTS_ROUNDED

#: name -> (height range, visibility range); official four plus the breakdown used by TLL/CSP.
SETUPS = {
    "Reasonable": ((50, 1e5**2), (0.65, 1e5**2)),
    "Reasonable_small": ((50, 75), (0.65, 1e5**2)),
    "Reasonable_occ=heavy": ((50, 1e5**2), (0.2, 0.65)),
    "All": ((20, 1e5**2), (0.2, 1e5**2)),
    "Heavy": ((50, 1e5**2), (0.0, 0.65)),  # the dagger variant [0, 0.65]
    "Partial": ((50, 1e5**2), (0.65, 0.9)),
    "Bare": ((50, 1e5**2), (0.9, 1e5**2)),
}
GROUPS = {"official": ["Reasonable", "Reasonable_small", "Reasonable_occ=heavy", "All"],
          "tll": ["Reasonable", "Heavy", "Partial", "Bare"]}
GROUPS["all"] = GROUPS["official"] + ["Heavy", "Partial", "Bare"]


def _iou(dts: np.ndarray, gts: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    out = np.zeros((len(dts), len(gts)))
    for j, g in enumerate(gts):
        gx1, gy1, gx2, gy2, ga = g[0], g[1], g[0] + g[2], g[1] + g[3], g[2] * g[3]
        for i, d in enumerate(dts):
            dx1, dy1, dx2, dy2, da = d[0], d[1], d[0] + d[2], d[1] + d[3], d[2] * d[3]
            uw = min(dx2, gx2) - max(dx1, gx1)
            if uw <= 0:
                continue
            uh = min(dy2, gy2) - max(dy1, gy1)
            if uh <= 0:
                continue
            t = uw * uh
            out[i, j] = t / (da if crowd[j] else da + ga - t)
    return out


def evaluate_image(gts: list[dict], dts: list[dict], hrng, vrng, thr: float = 0.5, max_det: int = 1000,
                   exp_filter: float = 1.25):
    """Per-image matching; returns (dt scores, dt matched, dt ignored, gt ignored) or None."""
    if not gts and not dts:
        return None
    gt_ig = []
    for g in gts:
        ig = int(g.get("ignore", 0))
        if g["height"] < hrng[0] or g["height"] > hrng[1] or g["vis_ratio"] < vrng[0] or g["vis_ratio"] > vrng[1]:
            ig = 1
        gt_ig.append(ig)
    gind = np.argsort(gt_ig, kind="mergesort")
    gts = [gts[i] for i in gind]
    gt_ig = np.array([gt_ig[i] for i in gind], dtype=int)
    dind = np.argsort([-d["score"] for d in dts], kind="mergesort")
    dts = [dts[i] for i in dind[:max_det]]
    dts = [d for d in dts if hrng[0] / exp_filter <= d["height"] < hrng[1] * exp_filter]
    ious = _iou(np.array([d["bbox"] for d in dts]).reshape(-1, 4), np.array([g["bbox"] for g in gts]).reshape(-1, 4),
                gt_ig)
    gtm = np.zeros(len(gts))
    dtm = np.zeros(len(dts))
    dt_ig = np.zeros(len(dts))
    for di in range(len(dts)):
        best_oa, best_g, best_m = min(thr, 1 - 1e-10), -2, -2
        for gi in range(len(gts)):
            if gtm[gi] > 0:
                continue
            if best_m != -2 and gt_ig[gi] == 1:
                break
            if ious[di, gi] < best_oa:
                continue
            best_oa, best_g = ious[di, gi], gi
            best_m = 1 if gt_ig[gi] == 0 else -1
        if best_g == -2:
            continue
        dt_ig[di] = gt_ig[best_g]
        dtm[di] = 1
        if best_m == 1:
            gtm[best_g] = 1
    return np.array([d["score"] for d in dts]), dtm, dt_ig, gt_ig


def log_avg_mr(fppi: np.ndarray, recall: np.ndarray, points: np.ndarray, empty_prefix: str) -> float:
    inds = np.searchsorted(fppi, points, side="right") - 1
    q = np.zeros(len(points))
    for k, i in enumerate(inds):
        if i >= 0:
            q[k] = recall[i]
        elif empty_prefix == "last" and len(recall):
            q[k] = recall[-1]
    mrs = 1 - q
    with np.errstate(divide="ignore"):
        return float(np.exp(np.mean(np.log(mrs[mrs < 2]))))


def evaluate(gt: dict, dets: list[dict], setup: str = "Reasonable", fppi_points: str = "rounded",
             empty_prefix: str = "last") -> dict:
    hrng, vrng = SETUPS[setup]
    by_img_gt: dict[int, list] = {im["id"]: [] for im in gt["images"]}
    for a in gt["annotations"]:
        by_img_gt.setdefault(a["image_id"], []).append(a)
    by_img_dt: dict[int, list] = {i: [] for i in by_img_gt}
    for d in dets:
        d = dict(d)
        d["height"] = d["bbox"][3]
        by_img_dt.setdefault(d["image_id"], []).append(d)
    scores, tps, igs, n_gt = [], [], [], 0
    for img in by_img_gt:
        r = evaluate_image(by_img_gt[img], by_img_dt.get(img, []), hrng, vrng)
        if r is None:
            continue
        s, m, ig, gig = r
        scores.append(s)
        tps.append(m)
        igs.append(ig)
        n_gt += int((gig == 0).sum())
    s = np.concatenate(scores) if scores else np.zeros(0)
    m = np.concatenate(tps) if tps else np.zeros(0)
    ig = np.concatenate(igs) if igs else np.zeros(0)
    order = np.argsort(-s, kind="mergesort")
    m, ig = m[order], ig[order]
    keep = ig == 0
    tp = np.cumsum((m == 1) & keep)[keep]
    fp = np.cumsum((m == 0) & keep)[keep]
    n_images = len(by_img_gt)
    if n_gt == 0:
        return {"setup": setup, "mr": float("nan"), "n_gt": 0, "n_images": n_images}
    fppi, recall = fp / n_images, tp / n_gt
    pts = FPPI_POINTS_ROUNDED if fppi_points == "rounded" else FPPI_POINTS_EXACT
    mr = log_avg_mr(fppi, recall, pts, empty_prefix)
    return {"setup": setup, "mr": mr, "mr_percent": 100 * mr, "n_gt": n_gt, "n_images": n_images,
            "fppi_points": fppi_points, "empty_prefix": empty_prefix}


def load_json(path) -> object:
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "JSON file not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, f"invalid JSON ({exc.msg})", line=exc.lineno) from exc
