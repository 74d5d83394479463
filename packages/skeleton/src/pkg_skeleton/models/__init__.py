"""Model builders: one explicit dict from the recipe's ``model.arch`` to a constructor."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from pkg_skeleton.config import ModelConfig
from pkg_skeleton.models.hcn import HCN, HCNDetector, HeadView

BUILDERS: dict[str, Callable[[ModelConfig], nn.Module]] = {
    "hcn": HCN,
    "hcn_local": HCN,
    "hcn_point": HCN,
    "hcn_motion": HCN,
    "hcn_wide": HCN,
    "hcn_plus": HCN,
}


def build_model(cfg: ModelConfig) -> nn.Module:
    """HCN of ``cfg.arch``; with ``cfg.heads = "cls+proposal"`` the shared-trunk detector of that variant."""
    try:
        if cfg.heads == "cls+proposal":
            return HCNDetector(cfg)
        return BUILDERS[cfg.arch](cfg)
    except ValueError as exc:
        from pkg_shared.errors import ConfigError

        raise ConfigError(str(exc)) from exc


__all__ = ["HCN", "HCNDetector", "HeadView", "build_model"]
