"""Model builders: an explicit name -> builder dict (no registries)."""

from __future__ import annotations

from pkg_detect.config import DetectConfig, ModelConfig
from pkg_detect.models.convlstm import ConvLSTM, ConvLSTMCell
from pkg_detect.models.tll import TLLNet


def build_model(cfg: DetectConfig | ModelConfig) -> TLLNet:
    """TLLNet from the full recipe (focal loss -> sigmoid vertex heads) or a bare ModelConfig."""
    if isinstance(cfg, DetectConfig):
        return TLLNet(cfg.model, vertex_logits=cfg.loss.kind == "focal_heatmap")
    return TLLNet(cfg)


__all__ = ["ConvLSTM", "ConvLSTMCell", "TLLNet", "build_model"]
