"""Model builders (an explicit dict, no registry)."""

from __future__ import annotations

from pkg_reid.config import ModelConfig
from pkg_reid.models.backbone import ResNetTrunk, TinyTrunk, build_trunk
from pkg_reid.models.reid_net import EmbeddingModel, ReIDNet

BACKBONES = {"resnet18": ResNetTrunk, "resnet50": ResNetTrunk, "resnet101": ResNetTrunk, "tiny": TinyTrunk}


def build_model(cfg: ModelConfig, num_classes: int = 0) -> ReIDNet:
    return ReIDNet(cfg, num_classes)


__all__ = ["BACKBONES", "EmbeddingModel", "ReIDNet", "ResNetTrunk", "TinyTrunk", "build_model", "build_trunk"]
