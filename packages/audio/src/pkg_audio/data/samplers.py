"""Class-balanced samplers (spec 6.1) with explicit, checkpointable state.

The training loop asks for the next ``n`` indices itself (no DataLoader prefetch), so a resumed
run draws exactly the stream the uninterrupted run would have drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _rng_state(rng: np.random.Generator) -> dict:
    return rng.bit_generator.state


class RoundRobinBalancedSampler:
    """PANNs' balanced sampler: a queue of class ids (refilled with a random permutation of all
    classes that have clips); each slot pops a class and takes that class's next clip (each class
    list is reshuffled when exhausted). Every class is drawn equally often."""

    def __init__(self, targets: np.ndarray, seed: int = 0, exclude: Sequence[int] = ()) -> None:
        excl = set(int(i) for i in exclude)
        self.rng = np.random.default_rng(seed)
        self.classes = []
        self.lists: list[np.ndarray] = []
        for k in range(targets.shape[1]):
            idx = np.array([i for i in np.nonzero(targets[:, k] > 0)[0] if i not in excl], dtype=np.int64)
            if idx.size:
                self.classes.append(k)
                self.lists.append(self.rng.permutation(idx))
        if not self.classes:
            raise ValueError("no training clip has a positive label")
        self.pos = [0] * len(self.classes)
        self.queue: list[int] = []

    def next(self, n: int) -> list[int]:
        out = []
        for _ in range(n):
            if not self.queue:
                self.queue = [int(c) for c in self.rng.permutation(len(self.classes))]
            c = self.queue.pop(0)
            if self.pos[c] >= len(self.lists[c]):
                self.lists[c] = self.rng.permutation(self.lists[c])
                self.pos[c] = 0
            out.append(int(self.lists[c][self.pos[c]]))
            self.pos[c] += 1
        return out

    def state_dict(self) -> dict:
        return {"rng": _rng_state(self.rng), "lists": [lst.tolist() for lst in self.lists],
                "pos": list(self.pos), "queue": list(self.queue)}

    def load_state_dict(self, st: dict) -> None:
        self.rng.bit_generator.state = st["rng"]
        self.lists = [np.asarray(x, dtype=np.int64) for x in st["lists"]]
        self.pos = list(st["pos"])
        self.queue = list(st["queue"])


class WeightedClassSampler:
    """AST/PSLA: class weight 1000 / (n_c + 0.01), clip weight = sum over its classes, drawn with
    replacement proportionally to the clip weight."""

    def __init__(self, targets: np.ndarray, seed: int = 0, exclude: Sequence[int] = ()) -> None:
        n_c = targets.sum(axis=0)
        w_c = 1000.0 / (n_c + 0.01)
        w = (targets > 0).astype(np.float64) @ w_c
        w[list(exclude)] = 0.0
        if w.sum() <= 0:
            raise ValueError("no training clip has a positive label")
        self.p = w / w.sum()
        self.rng = np.random.default_rng(seed)

    def next(self, n: int) -> list[int]:
        return [int(i) for i in self.rng.choice(len(self.p), size=n, replace=True, p=self.p)]

    def state_dict(self) -> dict:
        return {"rng": _rng_state(self.rng)}

    def load_state_dict(self, st: dict) -> None:
        self.rng.bit_generator.state = st["rng"]


class RandomSampler:
    """Uniform shuffled passes over all clips (no balancing)."""

    def __init__(self, targets: np.ndarray, seed: int = 0, exclude: Sequence[int] = ()) -> None:
        excl = set(int(i) for i in exclude)
        self.all = np.array([i for i in range(targets.shape[0]) if i not in excl], dtype=np.int64)
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(self.all)
        self.pos = 0

    def next(self, n: int) -> list[int]:
        out = []
        for _ in range(n):
            if self.pos >= len(self.order):
                self.order, self.pos = self.rng.permutation(self.all), 0
            out.append(int(self.order[self.pos]))
            self.pos += 1
        return out

    def state_dict(self) -> dict:
        return {"rng": _rng_state(self.rng), "order": self.order.tolist(), "pos": self.pos}

    def load_state_dict(self, st: dict) -> None:
        self.rng.bit_generator.state = st["rng"]
        self.order = np.asarray(st["order"], dtype=np.int64)
        self.pos = st["pos"]


SAMPLERS = {"roundrobin": RoundRobinBalancedSampler, "weighted": WeightedClassSampler, "random": RandomSampler}
