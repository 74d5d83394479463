"""Per-class average precision, ROC AUC and d-prime in scikit-learn's conventions, vectorised.

AP = sum_n (R_n - R_{n-1}) P_n over distinct score thresholds in decreasing order (tied scores form
one threshold), exactly ``sklearn.metrics.average_precision_score``. AUC counts ties as one half,
like ``roc_auc_score``. A class without positives (or without negatives, for AUC) gives ``nan``.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np


def _as_2d(y_true: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    if y.ndim == 1:
        y, s = y[:, None], s[:, None]
    if y.shape != s.shape:
        raise ValueError(f"targets {y.shape} and scores {s.shape} differ in shape")
    return (y > 0).astype(np.float64), s


def average_precision(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """AP per column of (N, K) arrays (or a scalar-shaped array for 1-D input); nan without positives."""
    y, s = _as_2d(y_true, scores)
    n, k = y.shape
    out = np.full(k, np.nan)
    for j in range(k):
        npos = y[:, j].sum()
        if npos == 0:
            continue
        order = np.argsort(-s[:, j], kind="mergesort")
        sj, yj = s[order, j], y[order, j]
        # the last index of each run of equal scores is a threshold
        last = np.r_[np.nonzero(np.diff(sj))[0], n - 1]
        tp = np.cumsum(yj)[last]
        fp = (last + 1) - tp
        precision = tp / (tp + fp)
        recall = tp / npos
        out[j] = np.sum(np.diff(np.r_[0.0, recall]) * precision)
    return out if np.ndim(y_true) == 2 else out[:1]


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC AUC per column via the Mann-Whitney statistic with average ranks; nan if one class is absent."""
    y, s = _as_2d(y_true, scores)
    n, k = y.shape
    out = np.full(k, np.nan)
    for j in range(k):
        npos = y[:, j].sum()
        nneg = n - npos
        if npos == 0 or nneg == 0:
            continue
        ranks = _average_ranks(s[:, j])
        out[j] = (ranks[y[:, j] > 0].sum() - npos * (npos + 1) / 2) / (npos * nneg)
    return out if np.ndim(y_true) == 2 else out[:1]


def _average_ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    ranks = np.empty(len(x), dtype=np.float64)
    starts = np.r_[0, np.nonzero(np.diff(xs))[0] + 1]
    ends = np.r_[starts[1:], len(x)]
    for a, b in zip(starts, ends):
        ranks[order[a:b]] = (a + 1 + b) / 2.0
    return ranks


def d_prime(auc: float) -> float:
    """sqrt(2) * Phi^-1(AUC); +inf at AUC 1, -inf at 0, nan for nan."""
    if auc is None or math.isnan(auc):
        return float("nan")
    if auc >= 1.0:
        return float("inf")
    if auc <= 0.0:
        return float("-inf")
    return math.sqrt(2.0) * NormalDist().inv_cdf(auc)


def multilabel_summary(y_true: np.ndarray, scores: np.ndarray, strict_sklearn: bool = False) -> dict[str, object]:
    """mAP, mAUC and d-prime the way the AudioSet reference code reports them.

    ``dprime`` is computed from the mean AUC (the reference quirk); ``dprime_mean_per_class`` is the
    mean of per-class d'. Classes without positives are excluded (nan) unless ``strict_sklearn``,
    which counts their AP as 0 like scikit-learn.
    """
    ap = average_precision(y_true, scores)
    auc = roc_auc(y_true, scores)
    if strict_sklearn:
        ap_used = np.where(np.isnan(ap), 0.0, ap)
        evaluated = ap_used.size
    else:
        ap_used = ap[~np.isnan(ap)]
        evaluated = ap_used.size
    auc_valid = auc[~np.isnan(auc)]
    mauc = float(auc_valid.mean()) if auc_valid.size else float("nan")
    per_class_d = np.array([d_prime(a) for a in auc_valid]) if auc_valid.size else np.array([])
    return {
        "mAP": float(ap_used.mean()) if ap_used.size else float("nan"),
        "mAUC": mauc,
        "dprime": d_prime(mauc),
        "dprime_mean_per_class": float(per_class_d.mean()) if per_class_d.size else float("nan"),
        "n_classes_evaluated": int(evaluated),
        "n_classes_excluded": int(ap.size - evaluated),
        "ap_per_class": ap,
        "auc_per_class": auc,
    }
