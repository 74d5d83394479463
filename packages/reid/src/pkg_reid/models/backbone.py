"""Backbones that expose the outputs of every residual stage (res2..res5) for the multi-level head.

``ResNetTrunk`` is torchvision's ResNet without its pooling/FC, with an optional last stride of 1
(the Bag-of-Tricks setting). ``TinyTrunk`` is a four-stage toy CNN with the same tap names, used by
the tests and the CPU demo where a ResNet-50 would not fit the time budget.
"""

from __future__ import annotations

import pathlib

import torch
from torch import nn
from torchvision.models import resnet

from pkg_shared.errors import DataFormatError

_RESNETS = {"resnet18": resnet.resnet18, "resnet50": resnet.resnet50, "resnet101": resnet.resnet101}


class ResNetTrunk(nn.Module):
    """ResNet stem + layer1..layer4; ``forward`` returns ``{"res2": ..., "res5": ...}``."""

    def __init__(self, name: str = "resnet50", last_stride: int = 2) -> None:
        super().__init__()
        net = _RESNETS[name](weights=None)
        if last_stride == 1:
            block = net.layer4[0]
            # torchvision puts the stride on conv2 of a Bottleneck (ResNet v1.5) and conv1 of a BasicBlock
            conv = block.conv2 if isinstance(block, resnet.Bottleneck) else block.conv1
            conv.stride = (1, 1)
            if block.downsample is not None:
                block.downsample[0].stride = (1, 1)
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4
        self.channels = {
            "res2": _out_ch(self.layer1),
            "res3": _out_ch(self.layer2),
            "res4": _out_ch(self.layer3),
            "res5": _out_ch(self.layer4),
        }

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.stem(x)
        r2 = self.layer1(x)
        r3 = self.layer2(r2)
        r4 = self.layer3(r3)
        r5 = self.layer4(r4)
        return {"res2": r2, "res3": r3, "res4": r4, "res5": r5}

    def load_imagenet(self, path: str | pathlib.Path) -> None:
        """Load a torchvision ImageNet state dict (``fc.*`` ignored); the file must exist locally."""
        load_torchvision_weights(self, path)


def _out_ch(layer: nn.Sequential) -> int:
    last = layer[-1]
    return (last.bn3 if hasattr(last, "bn3") else last.bn2).num_features


def load_torchvision_weights(trunk: ResNetTrunk, path: str | pathlib.Path) -> None:
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "backbone weights file not found (weights are never downloaded)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataFormatError(path, f"not a readable state dict ({type(exc).__name__})") from exc
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    renamed = {}
    for k, v in state.items():
        k = k.removeprefix("module.")
        if k.startswith("fc."):
            continue
        for old, new in (("conv1.", "stem.0."), ("bn1.", "stem.1.")):
            if k.startswith(old):
                k = new + k[len(old):]
        renamed[k] = v
    missing, unexpected = trunk.load_state_dict(renamed, strict=False)
    if missing or unexpected:
        raise DataFormatError(
            path, f"does not match the backbone: {len(missing)} missing keys (e.g. {missing[:2]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:2]})"
        )


def _conv_bn(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class TinyTrunk(nn.Module):
    """Four conv stages (widths w, 2w, 4w, 8w) with ResNet-like strides; for tests and the demo."""

    def __init__(self, width: int = 16, last_stride: int = 2) -> None:
        super().__init__()
        w = width
        self.stem = _conv_bn(3, w, 2)
        self.layer1 = _conv_bn(w, w, 1)
        self.layer2 = _conv_bn(w, 2 * w, 2)
        self.layer3 = _conv_bn(2 * w, 4 * w, 2)
        self.layer4 = _conv_bn(4 * w, 8 * w, last_stride)
        self.channels = {"res2": w, "res3": 2 * w, "res4": 4 * w, "res5": 8 * w}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r2 = self.layer1(self.stem(x))
        r3 = self.layer2(r2)
        r4 = self.layer3(r3)
        r5 = self.layer4(r4)
        return {"res2": r2, "res3": r3, "res4": r4, "res5": r5}


def build_trunk(name: str, last_stride: int = 2, tiny_width: int = 16) -> nn.Module:
    if name == "tiny":
        return TinyTrunk(tiny_width, last_stride)
    if name not in _RESNETS:
        raise ValueError(f"unknown backbone {name!r}; choose from {['tiny', *_RESNETS]}")
    return ResNetTrunk(name, last_stride)
