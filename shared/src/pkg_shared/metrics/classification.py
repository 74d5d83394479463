"""Classification accuracy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def topk_accuracy(logits: torch.Tensor, targets: torch.Tensor, ks: Sequence[int] = (1, 5)) -> dict[int, float]:
    """Fraction of rows whose target is among the k highest scores (ties broken by index order)."""
    if logits.ndim != 2 or targets.ndim != 1 or logits.shape[0] != targets.shape[0]:
        raise ValueError(f"expected logits (N, C) and targets (N,), got {tuple(logits.shape)} and {tuple(targets.shape)}")
    n, c = logits.shape
    if n == 0:
        return {k: float("nan") for k in ks}
    kmax = min(max(ks), c)
    # stable descending sort: among equal scores the lower class index ranks first
    top = torch.argsort(-logits, dim=1, stable=True)[:, :kmax]
    hit = top == targets[:, None]
    return {k: hit[:, : min(k, c)].any(dim=1).float().mean().item() for k in ks}


def confusion_matrix(pred: Sequence[int], target: Sequence[int], num_classes: int) -> np.ndarray:
    """``M[t, p]`` counts samples of class t predicted as p."""
    p = np.asarray(pred, dtype=np.int64)
    t = np.asarray(target, dtype=np.int64)
    if p.shape != t.shape:
        raise ValueError("pred and target differ in length")
    m = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(m, (t, p), 1)
    return m


def mean_class_accuracy(pred: Sequence[int], target: Sequence[int], num_classes: int) -> float:
    m = confusion_matrix(pred, target, num_classes)
    support = m.sum(axis=1)
    valid = support > 0
    return float((np.diag(m)[valid] / support[valid]).mean()) if valid.any() else float("nan")
