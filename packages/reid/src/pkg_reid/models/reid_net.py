"""ReIDNet: backbone with stage taps -> per-level heads -> fused embedding.

``forward`` returns a dict: ``levels`` (per-level embeddings, normalised if ``embed_norm=l2``),
``fused`` (the test-time feature), ``raw`` (fused before normalisation), ``logits`` (only when an
identity classifier is attached for the optional ID loss).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pkg_reid.config import ModelConfig
from pkg_reid.models.backbone import build_trunk, load_torchvision_weights
from pkg_reid.models.heads import LevelHead, ResidualShift


class ReIDNet(nn.Module):
    def __init__(self, cfg: ModelConfig, num_classes: int = 0) -> None:
        super().__init__()
        self.levels = tuple(cfg.levels)
        self.fuse = cfg.fuse
        self.l2 = cfg.embed_norm == "l2"
        self.backbone = build_trunk(cfg.backbone, cfg.last_stride, cfg.tiny_width)
        self.heads = nn.ModuleDict(
            {lv: LevelHead(self.backbone.channels[lv], cfg.head, cfg.hidden_dim, cfg.embed_dim) for lv in self.levels}
        )
        self.embed_dim = cfg.embed_dim * (len(self.levels) if cfg.fuse == "concat" else 1)
        self.shifts = nn.ModuleList()
        self.classifier = nn.Linear(self.embed_dim, num_classes, bias=False) if num_classes > 0 else None
        if cfg.weights:
            load_torchvision_weights(self.backbone, cfg.weights)

    def add_shift(self, freeze_previous: bool = False) -> ResidualShift:
        """Append a zero-initialised residual map (LITM ``residual_shift`` stage start)."""
        if freeze_previous:
            for p in self.parameters():
                p.requires_grad_(False)
        shift = ResidualShift(self.embed_dim).to(next(self.parameters()).device)
        self.shifts.append(shift)
        return shift

    def _norm(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(x, dim=1) if self.l2 else x

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        maps = self.backbone(x)
        raw_levels = [self.heads[lv](maps[lv]) for lv in self.levels]
        raw = torch.cat(raw_levels, dim=1) if self.fuse == "concat" else torch.stack(raw_levels).sum(0)
        for shift in self.shifts:
            raw = shift(raw)
        out = {
            "levels": [self._norm(e) for e in raw_levels],
            "fused": self._norm(raw),
            "raw": raw,
        }
        if self.classifier is not None:
            out["logits"] = self.classifier(raw)
        return out


class EmbeddingModel(nn.Module):
    """Export/inference wrapper: image batch in, fused test-time embedding out (plain tensor)."""

    def __init__(self, net: ReIDNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)["fused"]
