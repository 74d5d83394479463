"""Evaluation of a network (or one assignment of a supernet) on a dataset split."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from pkg_nas.metrics.classification import AccuracyMeter


@torch.no_grad()
def evaluate(model: torch.nn.Module, data: Dataset | DataLoader, device: torch.device | str = "cpu",
             batch_size: int = 256, active: Sequence[int] | None = None, ks: Sequence[int] = (1, 5)) -> dict:
    """top-k (percent) and mean cross-entropy over the whole split, eval mode."""
    loader = data if isinstance(data, DataLoader) else DataLoader(data, batch_size=batch_size, shuffle=False)
    was = model.training
    model.eval()
    meter = AccuracyMeter(ks)
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x) if active is None else model(x, active)
        meter.update(logits, y, F.cross_entropy(logits, y, reduction="sum").item())
    model.train(was)
    return meter.result()
