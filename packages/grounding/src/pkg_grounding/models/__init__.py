"""Model builders: an explicit name -> class dict (no string registry beyond this)."""

from __future__ import annotations

from torch import nn

from pkg_grounding.config import ModelConfig
from pkg_grounding.models.asst import ASST
from pkg_grounding.models.baselines import MeanPoolBaseline
from pkg_grounding.models.mcn import MCN

MODELS: dict[str, type[nn.Module]] = {"asst": ASST, "mean_pool": MeanPoolBaseline, "mcn": MCN}


def build_model(cfg: ModelConfig) -> nn.Module:
    return MODELS[cfg.name](cfg)


__all__ = ["ASST", "MCN", "MODELS", "MeanPoolBaseline", "build_model"]
