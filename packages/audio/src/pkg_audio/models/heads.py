"""Attention pooling heads (spec 3.4): multi-level attention (paper), single level, GAP baseline."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

_EPS = 1e-7


def normalise_attention(logits: torch.Tensor, mode: str) -> torch.Tensor:
    """(B, K, T) attention logits -> weights that sum to 1 over time (dim -1) for each class.

    - ``softmax``: softmax over time per class (default).
    - ``sigmoid_norm``: Kong et al. 2018, sigmoid clipped to [1e-7, 1-1e-7], divided by its time sum.
    - ``keras_yu``: Yu et al.'s published Keras code: softmax over the *class* axis, clipped, then
      renormalised over time. A quirk kept only for fidelity experiments.
    """
    if mode == "softmax":
        return torch.softmax(logits, dim=-1)
    if mode == "sigmoid_norm":
        a = torch.sigmoid(logits).clamp(_EPS, 1 - _EPS)
        return a / a.sum(dim=-1, keepdim=True)
    if mode == "keras_yu":
        a = torch.softmax(logits, dim=1).clamp(_EPS, 1 - _EPS)
        return a / a.sum(dim=-1, keepdim=True)
    raise ValueError(f"unknown attention normalisation {mode!r}")


class AttentionLevel(nn.Module):
    """One level: mean over frequency, 1x1 embed + BN + ReLU, sigmoid classifier x attention over time."""

    def __init__(self, in_channels: int, embed: int, num_classes: int, att_norm: str = "softmax") -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Conv1d(in_channels, embed, 1, bias=False), nn.BatchNorm1d(embed), nn.ReLU(inplace=True))
        self.cla = nn.Conv1d(embed, num_classes, 1)
        self.att = nn.Conv1d(embed, num_classes, 1)
        self.att_norm = att_norm

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """z (B, C, F, T) -> p (B, K), attention a (B, K, T), frame probabilities c (B, K, T)."""
        h = z.mean(dim=2)
        e = self.embed(h)
        c = torch.sigmoid(self.cla(e))
        a = normalise_attention(self.att(e), self.att_norm)
        p = (a * c).sum(dim=-1)
        return p, a, c


class MultiLevelAttentionHead(nn.Module):
    """Attention on several stages, fused by one dense layer over the concatenated level outputs.

    With one level and ``fuse=False`` it is the single-level head (``y = p``). ``forward`` returns the
    fused *logit* so that the loss can use BCE-with-logits (spec 4); ``None`` when not fused.
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        num_classes: int,
        embed: int = 512,
        att_norm: str = "softmax",
        fuse: bool = True,
        fusion_bn: bool = False,
    ) -> None:
        super().__init__()
        self.levels = nn.ModuleList(AttentionLevel(c, embed, num_classes, att_norm) for c in in_channels)
        self.fuse = fuse
        if fuse:
            self.fusion = nn.Linear(num_classes * len(in_channels), num_classes)
            self.fusion_bn = nn.BatchNorm1d(num_classes) if fusion_bn else nn.Identity()

    def forward(self, feats: Sequence[torch.Tensor]) -> dict[str, object]:
        ps, atts, clas = [], [], []
        for level, z in zip(self.levels, feats):
            p, a, c = level(z)
            ps.append(p)
            atts.append(a)
            clas.append(c)
        if self.fuse:
            logit = self.fusion_bn(self.fusion(torch.cat(ps, dim=1)))
            clip = torch.sigmoid(logit)
        else:
            logit = None
            clip = ps[-1]
        return {"clipwise": clip, "logit": logit, "levels": ps, "att": atts, "cla": clas}


class GapHead(nn.Module):
    """PANNs-style baseline: (max + mean) over time of the frequency-averaged map, FC, sigmoid."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, feats: Sequence[torch.Tensor]) -> dict[str, object]:
        z = feats[-1]
        h = z.mean(dim=2) if z.dim() == 4 else z
        pooled = h.amax(dim=-1) + h.mean(dim=-1)
        logit = self.fc(pooled)
        return {"clipwise": torch.sigmoid(logit), "logit": logit, "levels": [], "att": [], "cla": []}
