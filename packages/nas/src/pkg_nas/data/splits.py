"""Seeded stratified hold-out: the search's validation split is carved out of train, never test."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def stratified_holdout(labels: Sequence[int], per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out indices): ``per_class`` items of every class go to the held-out set.

    A class with no more than ``per_class`` items keeps at least one item for training.
    Both index arrays are sorted so the split does not depend on anything but labels and seed.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        k = min(per_class, max(len(idx) - 1, 0))
        if k > 0:
            held.append(rng.choice(idx, size=k, replace=False))
    held_idx = np.sort(np.concatenate(held)) if held else np.zeros(0, dtype=np.int64)
    mask = np.ones(len(labels), dtype=bool)
    mask[held_idx] = False
    return np.flatnonzero(mask), held_idx


def per_class_subset(labels: Sequence[int], max_per_class: int, seed: int = 0) -> np.ndarray:
    """At most ``max_per_class`` indices per class (seeded), sorted: cheap benchmark builds."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed + 1)
    keep = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        keep.append(idx if len(idx) <= max_per_class else rng.choice(idx, size=max_per_class, replace=False))
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)
