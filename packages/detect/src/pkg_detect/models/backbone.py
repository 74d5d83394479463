"""ResNet-50 trunk turned fully convolutional, res5 dilated (stride 16), with stage taps (spec §3.1).

The taps are res3d (layer2, stride 8), res4f (layer3, stride 16) and res5c (layer4, stride 16 with
dilation 2). ImageNet weights come from a local ``state_dict`` file only (no downloads).
A ``tiny`` trunk with the same tap strides exists for tests, the demo and CPU overfitting.
"""

from __future__ import annotations

import pathlib

import torch
from torch import nn

from pkg_shared.errors import DataFormatError


class ResNet50Trunk(nn.Module):
    """torchvision ResNet-50 without pooling/fc; returns (res3d, res4f, res5c)."""

    out_channels = (512, 1024, 2048)

    def __init__(self, dilate_res5: bool = True, weights: str | None = None) -> None:
        super().__init__()
        from torchvision.models import resnet50

        net = resnet50(weights=None, replace_stride_with_dilation=[False, False, dilate_res5])
        if weights:
            load_imagenet_weights(net, weights)
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4
        self.strides = (8, 16, 16 if dilate_res5 else 32)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.layer1(self.stem(x))
        c3 = self.layer2(x)
        c4 = self.layer3(c3)
        c5 = self.layer4(c4)
        return c3, c4, c5


def load_imagenet_weights(net: nn.Module, path: str) -> None:
    """Load a torchvision-style ResNet-50 state_dict; the fc layer may be missing."""
    p = pathlib.Path(path)
    if not p.is_file():
        raise DataFormatError(p, "ImageNet weights file not found (weights are never downloaded)")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataFormatError(p, f"not a readable state_dict ({type(exc).__name__})") from exc
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    state = {k.removeprefix("module."): v for k, v in state.items() if not k.startswith("fc.")}
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith("fc.")]
    if missing or unexpected:
        raise DataFormatError(p, f"not a ResNet-50 state_dict (missing {missing[:3]}, unexpected {unexpected[:3]})")


def _conv_bn(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class TinyTrunk(nn.Module):
    """Small CNN with the same tap strides (8, 16, 16-dilated) for CPU tests and the demo."""

    def __init__(self, widths: tuple[int, int, int, int] = (16, 32, 48, 64)) -> None:
        super().__init__()
        w0, w1, w2, w3 = widths
        self.stem = nn.Sequential(_conv_bn(3, w0, 2), _conv_bn(w0, w0, 2))  # stride 4
        self.layer2 = nn.Sequential(_conv_bn(w0, w1, 2), _conv_bn(w1, w1))  # stride 8
        self.layer3 = nn.Sequential(_conv_bn(w1, w2, 2), _conv_bn(w2, w2))  # stride 16
        self.layer4 = nn.Sequential(_conv_bn(w2, w3, 1, 2), _conv_bn(w3, w3, 1, 2))  # dilated
        self.out_channels = (w1, w2, w3)
        self.strides = (8, 16, 16)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        c3 = self.layer2(self.stem(x))
        c4 = self.layer3(c3)
        return c3, c4, self.layer4(c4)
