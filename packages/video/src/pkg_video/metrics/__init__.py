"""Video-level classification metrics with the conventions of MMAction2 spelled out.

* top-k: a video is a hit when its label is among the k highest averaged scores; ties are broken
  by the lower class index (MMAction2 uses numpy quicksort order, which is unspecified on ties).
* mean class accuracy, default: mean per-class recall over classes with >= 1 ground-truth video.
* mean class accuracy, ``mmaction_compat``: MMAction2's quirk (0.24.1 and 1.2.0): classes are
  the union of predicted and true labels; a class that is only predicted contributes 0.
* MiT challenge score: mean of top-1 and top-5 *error*.
"""

from __future__ import annotations

import numpy as np

from pkg_shared.metrics.classification import confusion_matrix


def ranked(scores: np.ndarray) -> np.ndarray:
    """Class indices by decreasing score, ties by lower index (stable sort of -score)."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), axis=1, kind="stable")


def topk_accuracy(scores: np.ndarray, labels: np.ndarray, ks=(1, 5)) -> dict[int, float]:
    order = ranked(scores)
    labels = np.asarray(labels)
    return {k: float((order[:, :k] == labels[:, None]).any(axis=1).mean()) for k in ks}


def mean_class_accuracy(scores: np.ndarray, labels: np.ndarray, mmaction_compat: bool = False) -> float:
    pred = ranked(scores)[:, 0]
    labels = np.asarray(labels)
    k = scores.shape[1]
    m = confusion_matrix(pred, labels, k)
    support = m.sum(axis=1)
    if mmaction_compat:
        present = np.union1d(np.unique(pred), np.unique(labels))
        return float(np.mean([m[c, c] / support[c] if support[c] else 0.0 for c in present]))
    valid = support > 0
    return float((np.diag(m)[valid] / support[valid]).mean())


def per_class_accuracy(scores: np.ndarray, labels: np.ndarray) -> dict[int, float]:
    pred = ranked(scores)[:, 0]
    labels = np.asarray(labels)
    return {int(c): float((pred[labels == c] == c).mean()) for c in np.unique(labels)}


def mit_challenge_score(scores: np.ndarray, labels: np.ndarray) -> float:
    """Moments in Time challenge: average of top-1 error and top-5 error (lower is better)."""
    acc = topk_accuracy(scores, labels, (1, 5))
    return ((1 - acc[1]) + (1 - acc[5])) / 2


def summary(scores: np.ndarray, labels: np.ndarray) -> dict:
    acc = topk_accuracy(scores, labels, (1, 5))
    return {
        "top1": acc[1],
        "top5": acc[5],
        "mean_class_accuracy": mean_class_accuracy(scores, labels, False),
        "mean_class_accuracy_mmaction": mean_class_accuracy(scores, labels, True),
        "mit_challenge_score": mit_challenge_score(scores, labels),
    }
