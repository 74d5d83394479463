"""Stem -> S stages of blocks -> global pool -> linear, for any layer assignment.

Module names (``conv1``, ``bn1``, ``layer1.0.conv1`` ... ``fc``) match torchvision's ResNet, so an
ImageNet ``basic`` 2-2-2-2 network loads ``torchvision.models.resnet18``'s state dict as is.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from pkg_nas.config import ModelConfig
from pkg_nas.models.blocks import BLOCKS
from pkg_nas.space import AssignmentError, LayerAssignment


def make_stem(cfg: ModelConfig) -> tuple[nn.Conv2d, nn.BatchNorm2d, nn.Module | None]:
    width = cfg.stem_width or cfg.widths[0]
    if cfg.stem == "cifar":
        conv = nn.Conv2d(3, width, 3, stride=1, padding=1, bias=False)
    else:
        conv = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
    pool = nn.MaxPool2d(3, stride=2, padding=1) if cfg.stem == "imagenet" else None
    return conv, nn.BatchNorm2d(width), pool


class StagedNet(nn.Module):
    """A network of the family holding ``blocks[s]`` blocks in stage ``s``.

    ``forward(x, active)`` runs only the first ``active[s]`` blocks of each stage (all when
    ``active`` is None): the plain network and the elastic-depth supernet are the same module.
    """

    def __init__(self, cfg: ModelConfig, blocks: Sequence[int]) -> None:
        super().__init__()
        blocks = LayerAssignment(blocks)
        if len(blocks) != cfg.stages:
            raise AssignmentError(f"assignment {blocks} has {len(blocks)} stages but widths {list(cfg.widths)} have {cfg.stages}")
        self.cfg = cfg
        self.blocks = blocks
        block_cls = BLOCKS[cfg.family]
        self.conv1, self.bn1, self.maxpool = make_stem(cfg)
        self.relu = nn.ReLU(inplace=True)
        cin = cfg.stem_width or cfg.widths[0]
        for s, (width, n) in enumerate(zip(cfg.widths, blocks)):
            layers = []
            for i in range(n):
                stride = 2 if (s > 0 and i == 0) else 1
                layers.append(block_cls(cin, width, stride, cfg.plain_down))
                cin = width * block_cls.expansion
            self.add_module(f"layer{s + 1}", nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(cfg.dropout) if cfg.dropout > 0 else nn.Identity()
        self.fc = nn.Linear(cin, cfg.num_classes)
        self.reset_parameters()

    def stage(self, s: int) -> nn.Sequential:
        return getattr(self, f"layer{s + 1}")

    def reset_parameters(self) -> None:
        """torchvision's ResNet init (Kaiming fan-out convs, BN 1/0), then zero-init-residual."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        self.fc.reset_parameters()
        if self.cfg.zero_init_residual:
            for s in range(len(self.blocks)):
                for blk in self.stage(s):
                    blk.zero_init_last_bn()

    def check_active(self, active: Sequence[int]) -> LayerAssignment:
        a = LayerAssignment(active)
        if len(a) != len(self.blocks) or any(n > m for n, m in zip(a, self.blocks)):
            raise AssignmentError(f"assignment {a} does not fit in this network's blocks {self.blocks}")
        return a

    def features(self, x: torch.Tensor, active: Sequence[int] | None = None) -> torch.Tensor:
        a = self.blocks if active is None else self.check_active(active)
        x = self.relu(self.bn1(self.conv1(x)))
        if self.maxpool is not None:
            x = self.maxpool(x)
        for s, n in enumerate(a):
            stage = self.stage(s)
            for i in range(n):
                x = stage[i](x)
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x: torch.Tensor, active: Sequence[int] | None = None) -> torch.Tensor:
        return self.fc(self.dropout(self.features(x, active)))


def build_network(cfg: ModelConfig, assignment: Sequence[int] | str) -> StagedNet:
    """The standalone network of the family for one layer assignment."""
    return StagedNet(cfg, LayerAssignment.parse(assignment))
