"""DiDeMo Rank@1 / Rank@5 / mIoU exactly as LocalizingMoments ``utils/eval.py``.

Per query: IoU on chunk indices with inclusive ends; mIoU term = mean of the 3 largest IoUs between
the top-1 moment and each annotator's pair; rank term = mean of the 3 smallest 1-based ranks of the
annotators' pairs in the predicted list (fewer than 3 pairs: all). Rank@k = share of queries whose
rank term is <= k, so Rank@1 needs 3 annotators (duplicates count) to agree with the top-1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pkg_shared.errors import PkgError


def chunk_iou(pred: Sequence[int], gt: Sequence[int]) -> float:
    inter = max(0, min(pred[1], gt[1]) + 1 - max(pred[0], gt[0]))
    union = max(pred[1], gt[1]) + 1 - min(pred[0], gt[0])
    return inter / union


def query_terms(ranked: Sequence[Sequence[int]], times: Sequence[Sequence[int]]) -> tuple[float, float]:
    """(rank term, IoU term) of one query."""
    ranked = [tuple(p) for p in ranked]
    ious = [chunk_iou(ranked[0], t) for t in times]
    try:
        ranks = [ranked.index(tuple(t)) + 1 for t in times]
    except ValueError:
        missing = [tuple(t) for t in times if tuple(t) not in ranked]
        raise PkgError(f"a ranked list lacks the ground-truth moment {missing[0]} (rank all 21 moments)") from None
    return float(np.mean(np.sort(ranks)[:3])), float(np.mean(np.sort(ious)[-3:]))


def evaluate_didemo(rankings: Sequence[Sequence[Sequence[int]]], times: Sequence[Sequence[Sequence[int]]]) -> dict:
    """Official Rank@1, Rank@5, mIoU as fractions (papers print them x100)."""
    if len(rankings) != len(times):
        raise PkgError(f"{len(rankings)} ranked lists for {len(times)} queries")
    terms = [query_terms(r, t) for r, t in zip(rankings, times)]
    ranks = np.array([r for r, _ in terms])
    ious = np.array([i for _, i in terms])
    return {"Rank@1": float(np.mean(ranks <= 1)), "Rank@5": float(np.mean(ranks <= 5)),
            "mIoU": float(np.mean(ious)), "queries": len(terms)}


def frequency_prior(train_times: Sequence[Sequence[Sequence[int]]]) -> list[tuple[int, int]]:
    """Moments ranked by how often annotators chose them in train (the official prior baseline).

    Ties keep the MCN candidate order.
    """
    from pkg_grounding.data.didemo import MOMENTS

    counts = {m: 0 for m in MOMENTS}
    for times in train_times:
        for t in times:
            counts[tuple(t)] += 1
    return sorted(MOMENTS, key=lambda m: -counts[m])
