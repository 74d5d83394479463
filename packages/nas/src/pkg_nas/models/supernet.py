"""Elastic-depth supernet: stage s holds N_s blocks; an assignment uses the first n_s of them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import nn

from pkg_nas.config import ModelConfig
from pkg_nas.models.family import StagedNet, build_network
from pkg_nas.space import LayerAssignment


class Supernet(StagedNet):
    """Weights shared by every assignment ``a <= blocks`` (first-k-blocks rule, as in OFA ResNets).

    Skipped blocks take no part in the forward pass, so they get no gradient and their BN running
    statistics stay untouched. Because block 0 of each stage does the downsampling and all later
    blocks preserve shape, skipping is exact.
    """

    def __init__(self, cfg: ModelConfig, blocks: Sequence[int]) -> None:
        super().__init__(cfg, blocks)

    def forward(self, x: torch.Tensor, active: Sequence[int] | None = None) -> torch.Tensor:
        return super().forward(x, active)

    def active_modules(self, active: Sequence[int]) -> Iterator[tuple[str, nn.Module]]:
        """(name, module) of the stem, the active blocks and the head."""
        a = self.check_active(active)
        for name in ("conv1", "bn1", "fc"):
            yield name, getattr(self, name)
        for s, n in enumerate(a):
            for i in range(n):
                yield f"layer{s + 1}.{i}", self.stage(s)[i]

    def extract(self, active: Sequence[int]) -> StagedNet:
        """A standalone network with the active weights and BN buffers copied (same output)."""
        a = self.check_active(active)
        net = build_network(self.cfg, a)
        own = self.state_dict()
        net.load_state_dict({k: own[k].clone() for k in net.state_dict()})
        return net.to(next(self.parameters()).device)


def default_supernet_blocks(stages: int, target_depth: int, max_per_stage: Sequence[int] | None = None) -> LayerAssignment:
    """``N_s = L_T - S + 1`` (any stage may absorb every extra layer), capped by ``max_per_stage``."""
    n = max(target_depth - stages + 1, 1)
    if max_per_stage is None:
        return LayerAssignment((n,) * stages)
    return LayerAssignment(min(n, c) for c in max_per_stage)
