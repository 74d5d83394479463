"""P x K batch samplers: random identities (Hermans et al.) and Global Hard Identity Searching.

Epoch definitions (explicit, because torchreid's are a known source of confusion):
- ``identity_once``: every identity is a batch member exactly once per epoch, so an epoch has
  ceil(N_id / P) batches; the last group is topped up with random other identities.
- ``all_images``: identity i appears ceil(n_i / K) times per epoch, so every image is seen about
  once per epoch.
Each identity's images are shuffled once per epoch and consumed K at a time (with replacement only
when an identity has fewer than K images).

The batches of epoch e depend only on (seed, e, neighbour lists): they are rebuilt from
``numpy.random.default_rng([seed, e])``. That makes resume bit-exact without saving RNG state.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class PKSampler:
    def __init__(self, labels: Sequence[int], num_ids: int, num_instances: int, seed: int = 0,
                 epoch_images: str = "identity_once") -> None:
        labels = np.asarray(labels)
        self.ids = np.unique(labels)
        if len(self.ids) < 2:
            raise ValueError("P x K sampling needs at least two identities")
        self.P = min(num_ids, len(self.ids))
        self.K = num_instances
        self.seed = seed
        self.epoch_images = epoch_images
        self.index_by_id = {int(i): np.nonzero(labels == i)[0] for i in self.ids}

    # -- pieces -----------------------------------------------------------------------------------
    def _id_sequence(self, rng: np.random.Generator) -> list[int]:
        if self.epoch_images == "identity_once":
            seq = [int(i) for i in self.ids]
        else:
            seq = [int(i) for i in self.ids for _ in range(-(-len(self.index_by_id[int(i)]) // self.K))]
        return [seq[j] for j in rng.permutation(len(seq))]

    def _image_picker(self, rng: np.random.Generator):
        perms = {i: rng.permutation(idx) for i, idx in self.index_by_id.items()}
        ptr = dict.fromkeys(perms, 0)

        def pick(pid: int) -> list[int]:
            idx = perms[pid]
            if len(idx) < self.K:
                return [int(v) for v in rng.choice(idx, size=self.K, replace=True)]
            if ptr[pid] + self.K > len(idx):
                perms[pid] = rng.permutation(self.index_by_id[pid])
                ptr[pid] = 0
            out = perms[pid][ptr[pid]: ptr[pid] + self.K]
            ptr[pid] += self.K
            return [int(v) for v in out]

        return pick

    def _top_up(self, group: list[int], rng: np.random.Generator) -> list[int]:
        others = [int(i) for i in self.ids if int(i) not in group]
        need = self.P - len(group)
        if need > 0:
            group = group + [int(v) for v in rng.choice(others, size=need, replace=False)]
        return group

    def random_groups(self, rng: np.random.Generator, seq: list[int]) -> list[list[int]]:
        groups: list[list[int]] = []
        remaining = list(seq)
        while remaining:
            group: list[int] = []
            rest: list[int] = []
            for pid in remaining:
                if len(group) < self.P and pid not in group:
                    group.append(pid)
                else:
                    rest.append(pid)
            remaining = rest
            groups.append(self._top_up(group, rng))
        return groups

    def hard_groups(self, rng: np.random.Generator, seq: list[int], neighbors: dict[int, list[int]],
                    hard_fraction: float = 1.0, mode: str = "groups") -> list[list[int]]:
        """GHIS: seed identity + its nearest unused identities; the rest random unused ones."""
        left: dict[int, int] = {}
        for pid in seq:
            left[pid] = left.get(pid, 0) + 1
        order = list(seq)
        n_hard = max(1, int(round(hard_fraction * self.P)))
        groups = []

        def take(pid: int, group: list[int]) -> bool:
            if left.get(pid, 0) > 0 and pid not in group:
                left[pid] -= 1
                group.append(pid)
                return True
            return False

        pos = 0
        while True:
            while pos < len(order) and left[order[pos]] == 0:
                pos += 1
            if pos >= len(order):
                break
            group: list[int] = []
            if mode == "pairs":
                # P/2 seeds, each with its single nearest unused identity
                while len(group) < n_hard:
                    seed_id = next((p for p in order[pos:] if left[p] > 0 and p not in group), None)
                    if seed_id is None:
                        break
                    take(seed_id, group)
                    for nb in neighbors.get(seed_id, []):
                        if take(nb, group):
                            break
            else:
                take(order[pos], group)
                for nb in neighbors.get(group[0], []):
                    if len(group) >= n_hard:
                        break
                    take(nb, group)
            # fall back to unused identities in random order
            unused = [p for p in left if left[p] > 0 and p not in group]
            for j in rng.permutation(len(unused)):
                if len(group) >= self.P:
                    break
                take(unused[j], group)
            groups.append(self._top_up(group[: self.P], rng))
        return groups

    # -- public -----------------------------------------------------------------------------------
    def batches(self, epoch: int, neighbors: dict[int, list[int]] | None = None, hard_fraction: float = 1.0,
                mode: str = "groups") -> list[list[int]]:
        """Index batches of one epoch (each P*K long, identity-major: K images of id 1, ...)."""
        rng = np.random.default_rng([self.seed, epoch])
        seq = self._id_sequence(rng)
        groups = (self.random_groups(rng, seq) if neighbors is None
                  else self.hard_groups(rng, seq, neighbors, hard_fraction, mode))
        pick = self._image_picker(rng)
        return [[i for pid in g for i in pick(pid)] for g in groups]

    def id_groups(self, epoch: int, neighbors: dict[int, list[int]] | None = None, hard_fraction: float = 1.0,
                  mode: str = "groups") -> list[list[int]]:
        """The identity groups behind ``batches`` (for diagnostics and tests)."""
        rng = np.random.default_rng([self.seed, epoch])
        seq = self._id_sequence(rng)
        if neighbors is None:
            return self.random_groups(rng, seq)
        return self.hard_groups(rng, seq, neighbors, hard_fraction, mode)
