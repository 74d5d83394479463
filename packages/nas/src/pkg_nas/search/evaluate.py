"""Scoring candidates: with inherited supernet weights (after BN recalibration), or by an oracle.

Both evaluators count how many distinct candidates they scored, which is the search cost that
the benchmarks and reports compare.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable

import torch
from torch.utils.data import DataLoader, Dataset

from pkg_nas.engine.evaluate import evaluate
from pkg_nas.search.bn_recal import recalibrate_bn
from pkg_nas.space import LayerAssignment


@dataclasses.dataclass(frozen=True)
class Score:
    acc: float  # top-1 percent on the held-out split (after recalibration)
    loss: float
    acc_norecal: float | None = None
    loss_norecal: float | None = None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class CountingEvaluator:
    """Base: caches scores per assignment and counts distinct evaluations."""

    def __init__(self) -> None:
        self.cache: dict[LayerAssignment, Score] = {}
        self.evaluations = 0

    def __call__(self, a) -> Score:
        a = LayerAssignment(a)
        if a not in self.cache:
            self.cache[a] = self.score(a)
            self.evaluations += 1
        return self.cache[a]

    def invalidate(self) -> None:
        """Weights changed (more supernet training): cached scores are stale."""
        self.cache.clear()

    def score(self, a: LayerAssignment) -> Score:  # pragma: no cover - abstract
        raise NotImplementedError


class OracleEvaluator(CountingEvaluator):
    """Scores from a function of the assignment (synthetic oracles, or an architecture dataset)."""

    def __init__(self, fn: Callable[[LayerAssignment], float]) -> None:
        super().__init__()
        self.fn = fn

    def score(self, a: LayerAssignment) -> Score:
        return Score(acc=float(self.fn(a)), loss=0.0)


class SupernetEvaluator(CountingEvaluator):
    """Inherited weights: recalibrate BN on fixed train batches (eval transform), score on val."""

    def __init__(self, supernet, recal_data: Dataset, val_data: Dataset, *, recal_batches: int = 20,
                 recal_batch_size: int = 256, eval_batch_size: int = 256, device: torch.device | str = "cpu",
                 seed: int = 0, with_norecal: bool = True) -> None:
        super().__init__()
        self.supernet = supernet
        self.device = device
        g = torch.Generator().manual_seed(seed)
        loader = DataLoader(recal_data, batch_size=recal_batch_size, shuffle=True, generator=g)
        # the same images for every candidate: collect them once
        self.recal = [x for x, _ in itertools.islice(loader, recal_batches)]
        self.val = DataLoader(val_data, batch_size=eval_batch_size, shuffle=False)
        self.with_norecal = with_norecal

    def score(self, a: LayerAssignment) -> Score:
        net = self.supernet
        raw = None
        if self.with_norecal:
            raw = evaluate(net, self.val, self.device, active=a, ks=(1,))
        # recalibrate on a copy of the BN buffers so the supernet's running stats stay as trained
        saved = {k: v.clone() for k, v in net.state_dict().items() if "running" in k or "num_batches" in k}
        recalibrate_bn(net, self.recal, a, self.device)
        res = evaluate(net, self.val, self.device, active=a, ks=(1,))
        net.load_state_dict(saved, strict=False)
        return Score(acc=res["top1"], loss=res["loss"], acc_norecal=raw["top1"] if raw else None,
                     loss_norecal=raw["loss"] if raw else None)
