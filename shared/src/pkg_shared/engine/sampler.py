"""A shuffling sampler that can resume in the middle of an epoch, also across ranks.

The order of epoch ``e`` is a permutation drawn from ``seed + e`` only, so it does not depend on
global RNG state; ``state_dict`` records the epoch and how many indices were consumed.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class ResumableSampler(Sampler[int]):
    def __init__(
        self,
        num_samples: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        drop_last: bool = False,
    ) -> None:
        if num_samples <= 0:
            raise ValueError("the dataset is empty")
        self.num_samples = num_samples
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.drop_last = drop_last
        self.epoch = 0
        self.position = 0  # indices of this rank already yielded in the current epoch

    def _order(self) -> list[int]:
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.num_samples, generator=g).tolist()
        else:
            order = list(range(self.num_samples))
        if self.drop_last:
            usable = self.num_samples - self.num_samples % self.world_size
            order = order[:usable]
        else:
            pad = (-len(order)) % self.world_size
            order = order + order[:pad]
        return order[self.rank :: self.world_size]

    def __len__(self) -> int:
        return len(self._order()) - self.position

    def __iter__(self) -> Iterator[int]:
        order = self._order()
        while self.position < len(order):
            idx = order[self.position]
            self.position += 1
            yield idx
        self.epoch += 1
        self.position = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.position = 0

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])
        self.seed = int(state["seed"])
