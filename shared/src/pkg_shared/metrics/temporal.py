"""Temporal segment metrics: IoU, greedy NMS, R@n,IoU=m and mIoU (moment localisation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np


def temporal_iou(a: np.ndarray, b: np.ndarray, clamp: bool = True) -> np.ndarray:
    """IoU between every segment of ``a`` (N, 2) and ``b`` (M, 2), [start, end) in continuous time.

    ``clamp=False`` reproduces TALL's evaluation, which lets the intersection go negative for
    disjoint segments (harmless for recall, but visible in mIoU).
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    inter = np.minimum(a[:, None, 1], b[None, :, 1]) - np.maximum(a[:, None, 0], b[None, :, 0])
    if clamp:
        inter = np.maximum(inter, 0.0)
    union = np.maximum(a[:, None, 1], b[None, :, 1]) - np.minimum(a[:, None, 0], b[None, :, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return iou


def temporal_nms(segments: np.ndarray, scores: np.ndarray, threshold: float, top_k: int | None = None) -> np.ndarray:
    """Indices kept by greedy NMS: highest score first, drop segments with IoU > threshold to a kept one.

    The IoU matrix is computed once; the greedy pass is plain Python over booleans.
    """
    segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    over = (temporal_iou(segments, segments) > threshold).tolist()
    suppressed = [False] * len(segments)
    keep: list[int] = []
    for idx in order.tolist():
        if suppressed[idx]:
            continue
        keep.append(idx)
        if top_k is not None and len(keep) >= top_k:
            break
        row = over[idx]
        for j in range(len(row)):
            if row[j]:
                suppressed[j] = True
    return np.asarray(keep, dtype=np.int64)


def recall_at_n_iou(
    ranked_predictions: Sequence[np.ndarray],
    ground_truth: np.ndarray,
    ns: Sequence[int] = (1, 5),
    ms: Sequence[float] = (0.3, 0.5, 0.7),
    compare: Literal["ge", "gt"] = "ge",
) -> dict[str, float]:
    """R@n,IoU=m: share of queries whose top-n (already ranked, after NMS) hit IoU >= m (or > m)."""
    gt = np.asarray(ground_truth, dtype=np.float64).reshape(-1, 2)
    if len(ranked_predictions) != len(gt):
        raise ValueError("one ranked prediction list per ground-truth segment is required")
    out: dict[str, float] = {}
    ious = [temporal_iou(np.asarray(p).reshape(-1, 2), g[None])[:, 0] for p, g in zip(ranked_predictions, gt)]
    for n in ns:
        for m in ms:
            hits = [
                bool(((iou[:n] >= m) if compare == "ge" else (iou[:n] > m)).any()) if len(iou) else False for iou in ious
            ]
            out[f"R@{n},IoU={m}"] = float(np.mean(hits)) if hits else float("nan")
    return out


def mean_iou_top1(ranked_predictions: Sequence[np.ndarray], ground_truth: np.ndarray) -> float:
    """Mean IoU of each query's top-1 prediction (0 for a query without predictions)."""
    gt = np.asarray(ground_truth, dtype=np.float64).reshape(-1, 2)
    vals = [
        float(temporal_iou(np.asarray(p).reshape(-1, 2)[:1], g[None])[0, 0]) if len(p) else 0.0
        for p, g in zip(ranked_predictions, gt)
    ]
    return float(np.mean(vals)) if vals else float("nan")
