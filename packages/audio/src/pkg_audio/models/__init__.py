"""Model builders. ``VARIANTS`` is the one explicit map from a recipe's ``model.variant`` to code."""

from __future__ import annotations

from pkg_audio.config import ModelConfig
from pkg_audio.models.back2d import BasicBlock, ResNet2D
from pkg_audio.models.front1d import Res1D, WaveResNet1D, to_image
from pkg_audio.models.heads import AttentionLevel, GapHead, MultiLevelAttentionHead, normalise_attention
from pkg_audio.models.logmel import LogMelFrontEnd, mel_filterbank
from pkg_audio.models.tagger import AudioTagger

VARIANTS = {
    "raw_mla": "raw waveform, 1-D + 2-D ResNets, multi-level attention + fusion (the paper)",
    "raw_single": "as raw_mla with attention on the last stage only, no fusion layer",
    "raw_gap": "as raw_mla with (max + mean) global pooling + FC instead of attention",
    "logmel_mla": "log-mel front end instead of the 1-D ResNet, same back end and head",
    "front_only": "the 1-D ResNet continued to 512 channels + temporal attention (pure 1-D)",
}


def build_model(cfg: ModelConfig) -> AudioTagger:
    if cfg.variant not in VARIANTS:
        raise ValueError(f"unknown model variant {cfg.variant!r}; choose one of {sorted(VARIANTS)}")
    return AudioTagger(cfg)


__all__ = [
    "VARIANTS", "AttentionLevel", "AudioTagger", "BasicBlock", "GapHead", "LogMelFrontEnd",
    "MultiLevelAttentionHead", "Res1D", "ResNet2D", "WaveResNet1D", "build_model", "mel_filterbank",
    "normalise_attention", "to_image",
]
