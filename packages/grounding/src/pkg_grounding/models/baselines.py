"""Simple baseline of the spec's benchmarks: mean-pooled word vectors matched to each step.

Output has the same (B, T, 3) layout as ASST with start/end logits fixed at 0, so the same decoder
turns the per-step "inside" scores into sliding-window segments.
"""

from __future__ import annotations

import torch
from torch import nn

from pkg_grounding.config import ModelConfig


class MeanPoolBaseline(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        w = 2 * cfg.hidden
        self.embed = nn.Embedding(cfg.vocab_size, cfg.word_dim, padding_idx=0)
        self.embed.weight.requires_grad_(not cfg.freeze_embeddings)
        self.q = nn.Linear(cfg.word_dim, w)
        self.v = nn.Linear(cfg.video_dim, w)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, video, video_mask, words, word_mask):
        m = word_mask.to(video.dtype).unsqueeze(-1)
        q = (self.embed(words) * m).sum(1) / m.sum(1).clamp_min(1.0)
        inside = (self.v(video) * self.q(q).unsqueeze(1)).sum(-1) / self.q.out_features**0.5 + self.bias
        zeros = torch.zeros_like(inside)
        return torch.stack([zeros, zeros, inside], -1)
