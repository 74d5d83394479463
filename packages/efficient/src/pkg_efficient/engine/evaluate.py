"""Top-1/top-5 evaluation (torch.topk on logits, single center crop for ImageNet)."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader

from pkg_shared.logging import progress


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, device: torch.device, desc: str = "eval") -> dict:
    """Accuracy in percent over the whole loader and the mean cross-entropy."""
    model.eval()
    n = 0
    hits = {1: 0, 5: 0}
    loss_sum = 0.0
    for x, y in progress(loader, desc=desc, leave=False):
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss_sum += nn.functional.cross_entropy(logits, y, reduction="sum").item()
        k = min(5, logits.shape[1])
        top = logits.topk(k, dim=1).indices
        hit = top == y[:, None]
        hits[1] += int(hit[:, :1].any(dim=1).sum())
        hits[5] += int(hit[:, :k].any(dim=1).sum())
        n += len(y)
    return {"top1": 100.0 * hits[1] / max(n, 1), "top5": 100.0 * hits[5] / max(n, 1),
            "loss": loss_sum / max(n, 1), "n": n}
