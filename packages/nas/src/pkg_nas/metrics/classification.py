"""Top-k accuracy aggregated by counting over the whole split (never averaging batch means)."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def topk_correct(logits: torch.Tensor, targets: torch.Tensor, ks: Sequence[int] = (1, 5)) -> dict[int, int]:
    """Number of rows whose target is among the k largest logits (``torch.topk`` order on ties,
    as in torchvision's reference scripts)."""
    kmax = min(max(ks), logits.shape[1])
    top = logits.topk(kmax, dim=1, largest=True, sorted=True).indices
    hit = top == targets[:, None]
    return {k: int(hit[:, : min(k, kmax)].any(dim=1).sum()) for k in ks}


class AccuracyMeter:
    """Accumulates correct counts and summed loss; reports percentages with two decimals."""

    def __init__(self, ks: Sequence[int] = (1, 5)) -> None:
        self.ks = tuple(ks)
        self.correct = dict.fromkeys(self.ks, 0)
        self.loss_sum = 0.0
        self.n = 0

    def update(self, logits: torch.Tensor, targets: torch.Tensor, loss_sum: float = 0.0) -> None:
        for k, c in topk_correct(logits, targets, self.ks).items():
            self.correct[k] += c
        self.loss_sum += float(loss_sum)
        self.n += int(targets.numel())

    def result(self) -> dict[str, float]:
        out = {f"top{k}": (100.0 * self.correct[k] / self.n if self.n else float("nan")) for k in self.ks}
        out["loss"] = self.loss_sum / self.n if self.n else float("nan")
        out["n"] = self.n
        return out
