"""C2D / C3D (I3D-style) / CoST ResNet-50/101 on NCTHW clips.

Module names follow the authors' MMAction2 code (``backbone.layerX.Y.conv2.conv.weight``,
``cls_head.fc_cls``) so that their checkpoints map by a short table.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from pkg_video.models.cost_conv import CoSTConv

STAGE_BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}

# Official block masks (1 = the block gets the CoST / 3-D convolution).
MASK_R50 = ((0, 1, 0), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (1, 0, 1))
MASK_R101 = ((0, 1, 0), (1, 0, 1, 0), tuple(1 - i % 2 for i in range(23)), (0, 1, 0))

COST_VARIANTS = {"costa": ("a", True), "costb": ("b", True), "cost_noshare": ("a", False),
                 "cost_avg": ("avg", True), "cost_concat": ("concat", True)}


class ConvBN(nn.Module):
    """conv -> BN3d (-> ReLU): the ``conv``/``bn`` naming of MMAction2's ConvModule."""

    def __init__(self, conv: nn.Module, channels: int, relu: bool = True) -> None:
        super().__init__()
        self.conv = conv
        self.bn = nn.BatchNorm3d(channels)
        self.relu = nn.ReLU(inplace=True) if relu else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv(x)))


def _conv3d(cin: int, cout: int, k: tuple[int, int, int], stride=(1, 1, 1)) -> nn.Conv3d:
    return nn.Conv3d(cin, cout, k, stride, tuple(s // 2 for s in k), bias=False)


def middle_conv(conv: str, planes: int, stride: int, *, coef_scope: str = "channel", impl: str = "three") -> nn.Module:
    """The block's 3x3 conv for a block type (selected blocks only; others are always 1x3x3)."""
    if conv in ("c2d", "c3d"):
        return _conv3d(planes, planes, (1, 3, 3), (1, stride, stride))
    if conv == "c3d_full":
        return _conv3d(planes, planes, (3, 3, 3), (1, stride, stride))
    if conv in COST_VARIANTS:
        variant, share = COST_VARIANTS[conv]
        return CoSTConv(planes, planes, stride, variant=variant, share=share, coef_scope=coef_scope, impl=impl)
    raise ValueError(f"unknown block type {conv!r}")


class Bottleneck3d(nn.Module):
    """1x1x1 (3x1x1 for I3D-style C3D) -> middle conv (stride (1,s,s)) -> 1x1x1, with shortcut."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int, conv: str, *, coef_scope: str = "channel",
                 impl: str = "three") -> None:
        super().__init__()
        k1 = (3, 1, 1) if conv == "c3d" else (1, 1, 1)
        self.conv1 = ConvBN(_conv3d(inplanes, planes, k1), planes)
        self.conv2 = ConvBN(middle_conv(conv, planes, stride, coef_scope=coef_scope, impl=impl), planes)
        self.conv3 = ConvBN(_conv3d(planes, planes * 4, (1, 1, 1)), planes * 4, relu=False)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = ConvBN(_conv3d(inplanes, planes * 4, (1, 1, 1), (1, stride, stride)), planes * 4,
                                     relu=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv3(self.conv2(self.conv1(x))) + identity)


class ResNet3d(nn.Module):
    """Stem, res2..res5 with the block mask, 2x1x1 temporal max pool after res2."""

    def __init__(
        self,
        stage_blocks: Sequence[int],
        selected: Sequence[Sequence[int]],
        conv: str,
        *,
        stem: str = "8f",
        width: int = 64,
        coef_scope: str = "channel",
        cost_impl: str = "three",
        temporal_pool: bool = True,
    ) -> None:
        super().__init__()
        if len(selected) != len(stage_blocks) or any(len(m) != n for m, n in zip(selected, stage_blocks)):
            raise ValueError(f"block mask {list(map(list, selected))} does not match stage lengths {list(stage_blocks)}")
        if stem == "8f":
            self.conv1 = ConvBN(nn.Conv3d(3, width, (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=False), width)
            self.maxpool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))
        elif stem == "32f":
            self.conv1 = ConvBN(nn.Conv3d(3, width, (5, 7, 7), (2, 2, 2), (2, 3, 3), bias=False), width)
            self.maxpool = nn.MaxPool3d((2, 3, 3), (2, 2, 2), (0, 1, 1))
        else:
            raise ValueError(f"unknown stem {stem!r}")
        self.pool2 = nn.MaxPool3d((2, 1, 1), (2, 1, 1)) if temporal_pool else nn.Identity()
        inplanes = width
        self.stage_names = []
        for i, (n, mask) in enumerate(zip(stage_blocks, selected)):
            planes = width * 2**i
            blocks = []
            for j in range(n):
                stride = 2 if (j == 0 and i > 0) else 1
                blocks.append(Bottleneck3d(inplanes, planes, stride, conv if mask[j] else "c2d",
                                           coef_scope=coef_scope, impl=cost_impl))
                inplanes = planes * 4
            name = f"layer{i + 1}"
            self.add_module(name, nn.Sequential(*blocks))
            self.stage_names.append(name)
        self.out_channels = inplanes
        self._init()

    def _init(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.conv1(x))
        for i, name in enumerate(self.stage_names):
            x = getattr(self, name)(x)
            if i == 0:
                x = self.pool2(x)
        return x


class ClsHead(nn.Module):
    """Global average pool over T, H, W -> dropout -> FC (init N(0, std^2), bias 0)."""

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.5, init_std: float = 0.01) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, num_classes)
        nn.init.normal_(self.fc_cls.weight, std=init_std)
        nn.init.zeros_(self.fc_cls.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_cls(self.dropout(self.pool(x).flatten(1)))


class Recognizer3d(nn.Module):
    """backbone + cls_head; input (N, 3, T, H, W), output logits (N, K)."""

    def __init__(self, backbone: ResNet3d, head: ClsHead) -> None:
        super().__init__()
        self.backbone = backbone
        self.cls_head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cls_head(self.backbone(x))
