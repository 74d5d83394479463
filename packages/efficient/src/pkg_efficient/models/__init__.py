"""Model builders, selected by name through one explicit dict (no registry)."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from pkg_efficient.models.fenet import FENet, fenet_r, ssl_mobilenet_v2
from pkg_efficient.models.resnet_cifar import ResNetCIFAR
from pkg_efficient.models.vgg import VGG, vgg16, vgg16_cifar


def _tv(name: str) -> Callable[..., nn.Module]:
    def build(num_classes: int = 1000, **kw) -> nn.Module:
        import torchvision

        return getattr(torchvision.models, name)(weights=None, num_classes=num_classes, **kw)

    return build


def _shift_resnet(depth: int) -> Callable[..., nn.Module]:
    def build(num_classes: int = 10, expansion: int = 6, shift: dict | None = None, **kw) -> nn.Module:
        return ResNetCIFAR(depth, num_classes, expansion=expansion, shift=shift, **kw)

    return build


def _resnet(depth: int) -> Callable[..., nn.Module]:
    def build(num_classes: int = 10, **kw) -> nn.Module:
        return ResNetCIFAR(depth, num_classes, **kw)

    return build


def _fenet(width: str) -> Callable[..., nn.Module]:
    def build(num_classes: int = 1000, **kw) -> nn.Module:
        return fenet_r(width, num_classes=num_classes, **kw)

    return build


def _ssl_mbv2(width: float) -> Callable[..., nn.Module]:
    def build(num_classes: int = 1000, **kw) -> nn.Module:
        return ssl_mobilenet_v2(width, num_classes=num_classes, **kw)

    return build


MODELS: dict[str, Callable[..., nn.Module]] = {
    "fenet_r_1.0": _fenet("1.0"),
    "fenet_r_1.375": _fenet("1.375"),
    "fenet_r_0.25": _fenet("0.25"),
    "ssl_mbv2_1.0": _ssl_mbv2(1.0),
    "ssl_mbv2_1.375": _ssl_mbv2(1.375),
    "ssl_mbv2_1.4": _ssl_mbv2(1.4),
    "shift_resnet8": _shift_resnet(8),  # the demo's tiny network
    "shift_resnet20": _shift_resnet(20),
    "shift_resnet56": _shift_resnet(56),
    "shift_resnet110": _shift_resnet(110),
    "resnet8": _resnet(8),
    "resnet20": _resnet(20),
    "resnet56": _resnet(56),
    "resnet110": _resnet(110),
    "vgg16_cifar": vgg16_cifar,
    "vgg16": vgg16,
    "resnet50": _tv("resnet50"),
    "mobilenet_v2": _tv("mobilenet_v2"),
}


def build_model(name: str, **kwargs) -> nn.Module:
    from pkg_shared.errors import ConfigError

    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name](**kwargs)


__all__ = ["FENet", "MODELS", "ResNetCIFAR", "VGG", "build_model", "fenet_r", "ssl_mobilenet_v2", "vgg16", "vgg16_cifar"]
