"""ASST: attentive sequence-to-sequence translator (Ning et al., IEEE TMM 2020), layers L1-L9 of the spec.

The paper body was not available: the layer table below is our instantiation of the abstract's
design (bi-directional RNN over words, word-to-frame attention, hierarchical multi-granularity
video encoder, a per-frame output sequence). Every choice is a ``ModelConfig`` option.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from pkg_grounding.config import ModelConfig
from pkg_grounding.models.rnn import MaskedBiRNN
from pkg_grounding.models.transformer import MaskedTransformer

NEG = -1e9  # finite "minus infinity": keeps softmax and ONNX export NaN-free


def _xavier(linear: nn.Linear) -> nn.Linear:
    nn.init.xavier_uniform_(linear.weight)
    if linear.bias is not None:
        nn.init.zeros_(linear.bias)
    return linear


class WordEncoder(nn.Module):
    """L1: GloVe embeddings (frozen; learned <unk>) -> dropout -> BiRNN. Index 0 = <pad>, 1 = <unk>."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(cfg.vocab_size, cfg.word_dim, padding_idx=0)
        self.embed.weight.requires_grad_(not cfg.freeze_embeddings)
        self.unk = nn.Parameter(torch.zeros(cfg.word_dim)) if cfg.unk_learned else None
        self.drop = nn.Dropout(cfg.word_dropout)
        self.rnn = MaskedBiRNN(cfg.word_dim, cfg.hidden, cfg.word_rnn)

    def forward(self, words: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        e = self.embed(words)
        if self.unk is not None:
            e = torch.where((words == 1).unsqueeze(-1), self.unk.expand_as(e), e)
        return self.rnn(self.drop(e), lengths)


class Pyramid(nn.Module):
    """L3: levels of coarser granularity. ``conv_pool`` halves the length per level."""

    def __init__(self, width: int, levels: int, kind: str) -> None:
        super().__init__()
        self.kind, self.levels = kind, levels
        if kind == "stride_rnn":
            self.blocks = nn.ModuleList(nn.GRU(width, width, batch_first=True) for _ in range(levels - 1))
        else:
            self.blocks = nn.ModuleList(
                nn.Conv1d(width, width, 3, padding=(2**i if kind == "dilated_conv" else 1),
                          dilation=(2**i if kind == "dilated_conv" else 1))
                for i in range(1, levels)
            )

    def strides(self) -> list[int]:
        return [1] * self.levels if self.kind == "dilated_conv" else [2**i for i in range(self.levels)]

    def forward(self, v: torch.Tensor, mask: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(B, T, C) with T divisible by 2^(L-1) -> [(V^l, mask^l)]; padded steps stay zero."""
        out = [(v, mask)]
        for block in self.blocks:
            v, mask = out[-1]
            if self.kind == "stride_rnn":
                b, t, c = v.shape
                pairs = v.reshape(b * (t // 2), 2, c)
                _, h = block(pairs)
                nxt = h[-1].reshape(b, t // 2, c)
                mask = mask.reshape(b, t // 2, 2).amax(-1)
            else:
                nxt = F.relu(block(v.transpose(1, 2))) * mask.unsqueeze(1)
                if self.kind == "conv_pool":
                    nxt = F.max_pool1d(nxt, 2, 2)
                    mask = mask.reshape(mask.shape[0], -1, 2).amax(-1)
                nxt = nxt.transpose(1, 2)
            out.append((nxt * mask.unsqueeze(-1), mask))
        return out


class WordFrameAttention(nn.Module):
    """L5: every frame attends over the words; softmax over valid words only.

    additive: e_tk = w^T tanh(W_u u_t + W_h h_k + b); dot: u_t.h_k / sqrt(2d); bilinear: u_t^T W h_k.
    """

    def __init__(self, width: int, attn_dim: int, kind: str) -> None:
        super().__init__()
        self.kind = kind
        if kind == "additive":
            self.w_u = _xavier(nn.Linear(width, attn_dim, bias=True))
            self.w_h = _xavier(nn.Linear(width, attn_dim, bias=False))
            self.w = _xavier(nn.Linear(attn_dim, 1, bias=False))
        elif kind == "bilinear":
            self.w_b = _xavier(nn.Linear(width, width, bias=False))
        self.scale = 1.0 / math.sqrt(width)

    def scores(self, u: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        if self.kind == "additive":
            e = self.w(torch.tanh(self.w_u(u).unsqueeze(2) + self.w_h(h).unsqueeze(1)))
            return e.squeeze(-1)
        if self.kind == "bilinear":
            return torch.bmm(self.w_b(u), h.transpose(1, 2))
        return torch.bmm(u, h.transpose(1, 2)) * self.scale

    def forward(self, u: torch.Tensor, h: torch.Tensor, word_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e = self.scores(u, h).masked_fill(~word_mask.bool().unsqueeze(1), NEG)
        alpha = torch.softmax(e, dim=-1)  # (B, T_l, N)
        return torch.bmm(alpha, h), alpha


class Level(nn.Module):
    """L4-L7 at one granularity: context BiRNN, attention, fusion, translator BiRNN."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        w = 2 * cfg.hidden
        self.context = MaskedBiRNN(w, cfg.hidden, "lstm")
        self.attn = WordFrameAttention(w, cfg.hidden, cfg.attention)
        self.fusion = cfg.fusion
        fin = {"concat_mul": 3 * w, "concat": 2 * w, "mul": w}[cfg.fusion]
        self.fuse = _xavier(nn.Linear(fin, w))
        if cfg.translator == "transformer":
            self.translator = MaskedTransformer(w, cfg.translator_layers, cfg.translator_heads, cfg.rnn_dropout)
        else:
            self.translator = None if cfg.translator == "none" else MaskedBiRNN(w, cfg.hidden, cfg.translator)
        self.drop = nn.Dropout(cfg.rnn_dropout)

    def forward(self, v, lengths, h, word_mask):
        u = self.drop(self.context(v, lengths))
        c, alpha = self.attn(u, h, word_mask)
        if self.fusion == "concat_mul":
            g = torch.cat([u, c, u * c], -1)
        elif self.fusion == "concat":
            g = torch.cat([u, c], -1)
        else:
            g = u * c
        g = F.relu(self.fuse(g))
        z = g if self.translator is None else self.drop(self.translator(g, lengths))
        return z, alpha


class ASST(nn.Module):
    """forward(video (B,T,Dv), video_mask (B,T), words (B,N), word_mask (B,N)) -> logits (B,T,3 or 5).

    Channel 0/1/2 = start / end / inside logits per time step (L9); with ``heads=sei_dist`` channels
    3/4 are raw distances (softplus -> steps) from the step centre back to the start and on to the
    end. Padded steps are left raw: decoding and losses mask them.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w = 2 * cfg.hidden
        self.words = WordEncoder(cfg)
        self.video_proj = _xavier(nn.Linear(cfg.video_dim, w))
        self.video_drop = nn.Dropout(cfg.video_dropout)
        self.pyramid = Pyramid(w, cfg.levels, cfg.pyramid)
        self.levels = nn.ModuleList(Level(cfg) for _ in range(cfg.levels))
        self.integrate = _xavier(nn.Linear(cfg.levels * w, w)) if cfg.integrate == "concat" else None
        self.head = _xavier(nn.Linear(w, 5 if cfg.heads == "sei_dist" else 3))
        self.last_attention: list[torch.Tensor] = []

    @property
    def multiple(self) -> int:
        return 1 if self.cfg.pyramid == "dilated_conv" else 2 ** (self.cfg.levels - 1)

    def forward(self, video, video_mask, words, word_mask):
        b, t, _ = video.shape
        pad = (-t) % self.multiple
        if pad:
            video = F.pad(video, (0, 0, 0, pad))
            video_mask = F.pad(video_mask, (0, pad))
        vmask = video_mask.to(video.dtype)
        h = self.words(words, word_mask.sum(1).long())
        v0 = self.video_drop(F.relu(self.video_proj(video))) * vmask.unsqueeze(-1)
        zs, alphas = [], []
        for level, stride, (v, m) in zip(self.levels, self.pyramid.strides(), self.pyramid(v0, vmask)):
            z, alpha = level(v, m.sum(1).long(), h, word_mask)
            zs.append(z.repeat_interleave(stride, dim=1) if stride > 1 else z)
            alphas.append(alpha)
        self.last_attention = alphas
        z = torch.cat(zs, -1) if self.integrate is not None else torch.stack(zs, 0).sum(0)
        if self.integrate is not None:
            z = F.relu(self.integrate(z))
        return self.head(z)[:, :t]
