"""Recognition summary: top-1/top-5, mean class accuracy, confusion matrix (pkg_shared definitions)."""

from __future__ import annotations

import torch

from pkg_shared.metrics.classification import confusion_matrix, mean_class_accuracy, topk_accuracy


def summarise(logits: torch.Tensor, labels: torch.Tensor, num_classes: int) -> dict:
    """Top-k = fraction of samples whose label is among the k best scores; mean class = macro recall."""
    acc = topk_accuracy(logits, labels, ks=(1, 5))
    pred = logits.argmax(1).tolist()
    return {
        "top1": acc[1],
        "top5": acc[5],
        "mean_class_accuracy": mean_class_accuracy(pred, labels.tolist(), num_classes),
        "num_samples": int(labels.numel()),
        "confusion": confusion_matrix(pred, labels.tolist(), num_classes).tolist(),
    }
