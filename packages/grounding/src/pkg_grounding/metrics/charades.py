"""Charades-STA R@n,IoU=m and mIoU under the conventions of the public evaluation codes.

Protocols (each result dict says which one produced it):
* ``2dtan`` (microsoft/2D-TAN ``lib/core/eval.py``): NMS 0.5 fixed, hit when IoU **>** m, mIoU of
  the top-1 (their ``np.mean(np.sort(overlap[0])[-3:])`` indexes row 0 of a (K, 1) array, i.e.
  the top-1 IoU only).
* ``tall`` (jiyanggao/TALL CTRL eval): NMS threshold m - 0.05 per IoU level, hit when IoU **>=** m,
  IoU without the max(0, .) clamp (only visible in mIoU).
* ``ours`` (default, spec section 8): NMS ``nms`` (0.5), ``>=``, mIoU of the top-1.
* ``moment_detr`` (jayleicn/moment_detr ``standalone_eval``): no NMS, first 10 windows as given,
  R1@{0.5,0.7} with ``>=``, mAP over IoU 0.5:0.05:0.95 (ActivityNet AP per query, averaged).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pkg_shared.metrics.temporal import temporal_iou

NS = (1, 5)
MS = (0.3, 0.5, 0.7)


def _iou_to(windows: np.ndarray, g: np.ndarray, clamp: bool = True) -> np.ndarray:
    """IoU of each [start, end] row with the best-matching GT window of ``g`` ((2,) or (G, 2)).

    The union is the hull, as in 2D-TAN and TALL; with several GT windows (QVHighlights) a
    prediction counts against the one it overlaps most, as moment_detr's R1.
    """
    g = np.asarray(g, dtype=np.float64).reshape(-1, 2)
    if len(g) == 0:
        return np.zeros(len(windows))
    inter = np.minimum(windows[:, None, 1], g[None, :, 1]) - np.maximum(windows[:, None, 0], g[None, :, 0])
    if clamp:
        inter = np.maximum(inter, 0.0)
    union = np.maximum(windows[:, None, 1], g[None, :, 1]) - np.minimum(windows[:, None, 0], g[None, :, 0])
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return iou.max(1)


def _greedy(spans: list[list[float]], threshold: float | None, top_k: int) -> list[int]:
    """Greedy NMS on score-sorted windows: drop a window whose IoU with a kept one is > threshold."""
    if threshold is None:
        return list(range(min(len(spans), top_k)))
    keep: list[int] = []
    for i, (s, e) in enumerate(spans):
        ok = True
        for k in keep:
            ks, ke = spans[k]
            inter = min(e, ke) - max(s, ks)
            if inter > 0 and inter / (max(e, ke) - min(s, ks)) > threshold:
                ok = False
                break
        if ok:
            keep.append(i)
            if len(keep) >= top_k:
                break
    return keep


def _as_gt_list(gts) -> list[np.ndarray]:
    """(Q, 2) array or a list of (G_q, 2) arrays -> list of (G_q, 2) float arrays."""
    if isinstance(gts, np.ndarray) and gts.ndim == 2:
        return [g.reshape(1, 2).astype(np.float64) for g in gts]
    return [np.asarray(g, dtype=np.float64).reshape(-1, 2) for g in gts]


def recall_at_iou(preds: Sequence[np.ndarray], gts, *, nms: float | str | None = 0.5,
                  compare: str = "ge", miou: str = "top1", clamp: bool = True,
                  ns: Sequence[int] = NS, ms: Sequence[float] = MS) -> dict[str, float]:
    """R@n,IoU=m for every (n, m) and mIoU. ``preds[q]``: rows [start, end, score] (any order).

    ``gts``: (Q, 2), or per query a (G, 2) array of GT windows (the best-matching one counts).

    ``nms``: a threshold, ``"tall"`` (m - 0.05 for each m) or None (no NMS).
    ``miou``: ``top1`` or ``top3of5`` (mean of the 3 largest IoUs among the top-5 after NMS).
    """
    gts = _as_gt_list(gts)
    if len(preds) != len(gts):
        raise ValueError(f"{len(preds)} prediction lists for {len(gts)} queries")
    top = max(ns)
    out: dict[str, float] = {}
    hits = {(n, m): [] for n in ns for m in ms}
    mious: list[float] = []
    for p, g in zip(preds, gts):
        p = np.asarray(p, dtype=np.float64).reshape(-1, 3)
        p = p[np.argsort(-p[:, 2], kind="stable")]
        spans = p[:, :2].tolist()
        gt_iou = _iou_to(p, g, clamp)
        fixed = None if nms == "tall" else _greedy(spans, nms, top)
        for m in ms:
            iou = gt_iou[_greedy(spans, m - 0.05, top) if nms == "tall" else fixed]
            for n in ns:
                ok = (iou[:n] >= m) if compare == "ge" else (iou[:n] > m)
                hits[(n, m)].append(bool(ok.any()))
        iou = gt_iou[_greedy(spans, 0.5, top) if fixed is None else fixed]
        if len(iou) == 0:
            iou = np.zeros(1)
        mious.append(float(np.mean(np.sort(iou[:5])[-3:])) if miou == "top3of5" else float(iou[0]))
    for (n, m), h in hits.items():
        out[f"R@{n},IoU={m}"] = float(np.mean(h)) if h else float("nan")
    out["mIoU"] = float(np.mean(mious)) if mious else float("nan")
    return out


def _interpolated_ap(precision: np.ndarray, recall: np.ndarray) -> float:
    """ActivityNet/VOC all-point AP with the monotone precision envelope."""
    mprec = np.concatenate([[0.0], precision, [0.0]])
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mprec = np.maximum.accumulate(mprec[::-1])[::-1]
    idx = np.where(mrec[1:] != mrec[:-1])[0] + 1
    return float(np.sum((mrec[idx] - mrec[idx - 1]) * mprec[idx]))


def detection_ap(preds: np.ndarray, gts: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """AP per IoU threshold for one query: greedy matching of score-sorted windows to GT windows."""
    preds = np.asarray(preds, dtype=np.float64).reshape(-1, 3)
    gts = np.asarray(gts, dtype=np.float64).reshape(-1, 2)
    ap = np.zeros(len(thresholds))
    if len(preds) == 0 or len(gts) == 0:
        return ap
    preds = preds[np.argsort(-preds[:, 2], kind="stable")]
    if len(gts) == 1:
        # One GT window: the first window reaching the threshold is the only TP, at rank r; the
        # enveloped precision is 1/r over the whole recall range, so AP = 1/r (0 without a hit).
        iou1 = _iou_to(preds, gts[0])
        for k, thr in enumerate(thresholds):
            hit = np.flatnonzero(iou1 >= thr)
            ap[k] = 1.0 / (hit[0] + 1) if len(hit) else 0.0
        return ap
    iou = temporal_iou(preds[:, :2], gts)  # (P, G)
    for k, thr in enumerate(thresholds):
        used = np.zeros(len(gts), bool)
        tp = np.zeros(len(preds))
        for i in range(len(preds)):
            for j in iou[i].argsort()[::-1]:  # ActivityNet's order (ties: last GT first)
                if iou[i, j] < thr:
                    break
                if used[j]:
                    continue
                used[j] = True
                tp[i] = 1
                break
        ctp = np.cumsum(tp)
        ap[k] = _interpolated_ap(ctp / np.arange(1, len(preds) + 1), ctp / len(gts))
    return ap


MDETR_THRESHOLDS = tuple(round(float(x), 2) for x in np.linspace(0.5, 0.95, 10))
# moment_detr eval_moment_retrieval: GT windows of length in (lo, hi] seconds; "full" keeps all
MDETR_RANGES = {"short": (0.0, 10.0), "middle": (10.0, 30.0), "long": (30.0, 150.0)}


def _mdetr_subset(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray], max_pred: int) -> dict[str, float]:
    aps, r1 = [], []
    for p, g in zip(preds, gts):
        p = np.asarray(p, dtype=np.float64).reshape(-1, 3)[:max_pred]
        aps.append(detection_ap(p, g, MDETR_THRESHOLDS))
        r1.append(temporal_iou(p[:1, :2], g).max() if len(p) and len(g) else 0.0)
    if not aps:
        return {}
    ap, r1 = np.mean(aps, 0), np.asarray(r1)
    out = {f"R1@{m}": float(np.mean(r1 >= m)) for m in MDETR_THRESHOLDS}
    out.update({"mAP@0.5": float(ap[0]), "mAP@0.75": float(ap[5]), "mAP": float(np.mean(ap))})
    return out


def moment_detr_metrics(preds: Sequence[np.ndarray], gts, max_pred: int = 10) -> dict:
    """jayleicn/moment_detr ``standalone_eval/eval.py`` moment retrieval, as fractions (it prints x100).

    R1@m: the first window as given (no re-sorting) against the GT window it overlaps most, IoU >= m;
    mAP: per-query ActivityNet AP of the first ``max_pred`` windows against all GT windows, averaged
    over queries and IoU 0.5:0.05:0.95; also mAP for GT windows short (<= 10 s), middle (10-30 s)
    and long (30-150 s), keeping only the GT windows in the range and the queries that have one.
    """
    gts = _as_gt_list(gts)
    full = _mdetr_subset(preds, gts, max_pred)
    out = {k: full[k] for k in ("R1@0.5", "R1@0.7", "mAP@0.5", "mAP@0.75", "mAP")} if full else {}
    out["R1"] = {str(m): full[f"R1@{m}"] for m in MDETR_THRESHOLDS} if full else {}
    for name, (lo, hi) in MDETR_RANGES.items():
        sub_p, sub_g = [], []
        for p, g in zip(preds, gts):
            keep = g[((g[:, 1] - g[:, 0]) > lo) & ((g[:, 1] - g[:, 0]) <= hi)]
            if len(keep):
                sub_p.append(p)
                sub_g.append(keep)
        res = _mdetr_subset(sub_p, sub_g, max_pred)
        out[f"mAP_{name}"] = res["mAP"] if res else None  # no GT window in the range
        out[f"queries_{name}"] = len(sub_g)
    return out


def binary_ap(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """moment_detr ``get_ap`` (video2gif AP): all-positive -> 1, all-negative -> 0, otherwise the mean of
    the interpolated precision at every recall step of the ranking by score (tied scores form one step)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    if np.all(y_true == y_true[0]):
        return float(y_true[0] != 0)
    order = np.argsort(-y_score, kind="mergesort")
    s, t = y_score[order], y_true[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each distinct score
    tps = np.cumsum(t)[last]
    fps = (last + 1) - tps
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    # descending recall order with the (recall 0, precision 1) end point, then the running max
    precision = np.maximum.accumulate(np.r_[precision[::-1], 1.0])
    recall = np.r_[recall[::-1], 0.0].astype(np.float32)
    return float(np.mean(precision[np.flatnonzero(np.diff(recall))]))


def highlight_metrics(pred_saliency: Sequence[Sequence[float]], durations: Sequence[float],
                      clip_ids: Sequence[Sequence[int]], saliency: Sequence[Sequence[Sequence[int]]],
                      clip_seconds: float = 2.0) -> dict:
    """moment_detr highlight detection: HL-mAP and HL-Hit1 at minimum scores 2/3/4 (Fair/Good/VeryGood).

    Per query the GT is a (duration / 2 clips, 3 annotators) score table, zero outside the relevant
    clips; Hit1 = max over annotators of the binary label of the top-scored clip; mAP = mean over
    queries and annotators of :func:`binary_ap` (predictions cut or zero-padded to the clip count).
    """
    out: dict[str, dict] = {}
    for min_score, name in ((2, "Fair"), (3, "Good"), (4, "VeryGood")):
        hits, aps = [], []
        for pred, dur, ids, sal in zip(pred_saliency, durations, clip_ids, saliency):
            table = np.zeros((int(dur / clip_seconds), 3))
            if len(ids):
                table[np.asarray(ids)] = np.asarray(sal, dtype=np.float64)
            binary = (table >= min_score).astype(np.float64)
            pred = np.asarray(pred, dtype=np.float64)
            top = int(np.argmax(pred))
            hits.append(binary[top].max() if top < len(binary) else 0.0)
            p = np.zeros(len(binary))
            p[: min(len(pred), len(binary))] = pred[: len(binary)]
            aps.extend(binary_ap(binary[:, a], p) for a in range(3))
        out[f"HL-min-{name}"] = {"HL-mAP": float(np.mean(aps)) if aps else float("nan"),
                                 "HL-Hit1": float(np.mean(hits)) if hits else float("nan")}
    return out


PROTOCOLS = {
    "ours": {"nms": 0.5, "compare": "ge", "miou": "top1", "clamp": True,
             "note": "spec default: NMS 0.5, IoU >= m, mIoU of top-1"},
    "2dtan": {"nms": 0.5, "compare": "gt", "miou": "top1", "clamp": True,
              "note": "microsoft/2D-TAN: NMS 0.5, IoU > m (strict), mIoU = top-1 IoU"},
    "tall": {"nms": "tall", "compare": "ge", "miou": "top1", "clamp": False,
             "note": "TALL/CTRL: NMS threshold m-0.05 per IoU level, IoU >= m, unclamped IoU"},
}


def evaluate_charades(preds: Sequence[np.ndarray], gts, protocols: Sequence[str] = ("ours", "2dtan", "tall",
                      "moment_detr"), nms: float | None = None, compare: str | None = None,
                      miou: str | None = None, moment_detr_nms: float = 0.0) -> dict[str, dict]:
    """Score the same predictions under each protocol; ``nms/compare/miou`` override ``ours``.

    ``moment_detr_nms`` > 0: greedy NMS at that IoU on the score-sorted windows before moment_detr's
    evaluator takes the first 10, as moment_detr's own inference does with ``--nms_thd`` (the
    submitter's post-processing; the evaluator itself applies none).
    """
    out: dict[str, dict] = {}
    for name in protocols:
        if name == "moment_detr":
            sub = preds
            if moment_detr_nms > 0:
                sub = []
                for p in preds:
                    p = np.asarray(p, dtype=np.float64).reshape(-1, 3)
                    p = p[np.argsort(-p[:, 2], kind="stable")]
                    sub.append(p[_greedy(p[:, :2].tolist(), moment_detr_nms, 10)])
            res = moment_detr_metrics(sub, gts)
            pre = f"NMS {moment_detr_nms} then " if moment_detr_nms > 0 else "no NMS, "
            res["convention"] = (f"jayleicn/moment_detr standalone_eval: {pre}top-10 as given, R1 of the first "
                                 "window vs its best GT, IoU >= m, per-query AP averaged over IoU 0.5:0.05:0.95; "
                                 "fractions (x100 in papers)")
        else:
            p = dict(PROTOCOLS[name])
            if name == "ours":
                p["nms"] = p["nms"] if nms is None else nms
                p["compare"] = compare or p["compare"]
                p["miou"] = miou or p["miou"]
                rule = {"tall": "m-0.05 per IoU level"}.get(p["nms"], p["nms"]) if isinstance(p["nms"], str) else \
                    ("none" if p["nms"] >= 1.0 else p["nms"])
                p["note"] = f"ours: NMS {rule}, IoU {'>=' if p['compare'] == 'ge' else '>'} m, mIoU {p['miou']}"
            note = p.pop("note")
            res = recall_at_iou(preds, gts, **p)
            res["convention"] = note
        out[name] = res
    return out
