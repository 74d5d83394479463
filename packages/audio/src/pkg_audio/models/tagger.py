"""The full tagger: front end -> (transpose) -> 2-D ResNet -> attention head (spec 2)."""

from __future__ import annotations

import torch
from torch import nn

from pkg_audio.config import ModelConfig
from pkg_audio.models.back2d import ResNet2D
from pkg_audio.models.front1d import Res1D, WaveResNet1D, to_image
from pkg_audio.models.heads import GapHead, MultiLevelAttentionHead
from pkg_audio.models.logmel import LogMelFrontEnd


class AudioTagger(nn.Module):
    """Waveform (B, L) in, dict out: ``clipwise`` (B, K) probabilities, ``logit`` (fused logit or None),
    per-level ``levels``/``att``/``cla`` and ``embedding`` (mean-pooled last stage, B x C)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.variant = cfg.variant
        if cfg.variant == "logmel_mla":
            self.front: nn.Module = LogMelFrontEnd(
                cfg.sample_rate, cfg.n_fft, cfg.hop_length, cfg.n_mels, cfg.fmin, cfg.fmax, cfg.log_floor
            )
        else:
            self.front = WaveResNet1D(
                cfg.front_stem_kernel, cfg.front_stem_channels, cfg.front_stem_stride,
                cfg.front_widths, cfg.front_pools, cfg.front_blocks,
            )
        if cfg.variant == "front_only":
            c = self.front.out_channels
            extra = []
            for w, p in zip(cfg.front_only_widths, cfg.front_only_pools):
                extra.append(nn.Sequential(Res1D(c, w, p), Res1D(w, w, 1)))
                c = w
            self.front_extra = nn.Sequential(*extra)
            self.back = None
            self.head: nn.Module = MultiLevelAttentionHead([c], cfg.num_classes, cfg.att_embed, cfg.att_norm, fuse=False)
            return
        self.back = ResNet2D(1, cfg.back_stem_channels, cfg.back_widths, cfg.back_blocks, cfg.back_dropout)
        if cfg.variant == "raw_gap":
            self.head = GapHead(cfg.back_widths[-1], cfg.num_classes)
        elif cfg.variant == "raw_single":
            n = len(cfg.back_widths)
            self.head = MultiLevelAttentionHead([cfg.back_widths[-1]], cfg.num_classes, cfg.att_embed, cfg.att_norm, fuse=False)
            self._levels = (n,)
        else:
            self._levels = tuple(cfg.att_levels)
            chans = [cfg.back_widths[i - 1] for i in self._levels]
            self.head = MultiLevelAttentionHead(chans, cfg.num_classes, cfg.att_embed, cfg.att_norm, True, cfg.fusion_bn)
        init_weights(self, cfg.zero_init_residual)

    def forward(self, wave: torch.Tensor) -> dict[str, object]:
        if self.back is None:  # front_only: a pure 1-D system
            h = self.front_extra(self.front(wave))
            out = self.head([h.unsqueeze(2)])
            out["embedding"] = h.mean(dim=-1)
            return out
        x = self.front(wave)
        image = x if self.variant == "logmel_mla" else to_image(x)
        stages = self.back(image)
        if self.variant == "raw_gap":
            out = self.head(stages)
        else:
            out = self.head([stages[i - 1] for i in self._levels])
        out["embedding"] = stages[-1].mean(dim=(2, 3))
        return out


def init_weights(model: nn.Module, zero_init_residual: bool = False) -> None:
    """Xavier-uniform conv/linear weights, zero biases, BN gamma 1 / beta 0 (PANNs' initialisation)."""
    from pkg_audio.models.back2d import BasicBlock

    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    if zero_init_residual:
        for m in model.modules():
            if isinstance(m, (BasicBlock, Res1D)):
                nn.init.zeros_(m.bn2.weight)
