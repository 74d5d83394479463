"""MCN baseline (Hendricks et al., ICCV 2017) for DiDeMo: moment and sentence embeddings, squared distance.

Moment feature = [L2norm(mean of chunks a..b) ; L2norm(mean of all valid chunks) ; TEF (a/6, b/6)]
(note b/6, not (b+1)/6, as the official code) -> MLP -> embedding; sentence = last LSTM state ->
Linear -> embedding; score = -||v - q||^2. forward returns (B, 21) scores in the MCN moment order,
-1e9 for moments beyond the video's chunks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pkg_grounding.config import ModelConfig
from pkg_grounding.data.didemo import MOMENTS, NUM_CHUNKS


class MCN(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.word_dim, padding_idx=0)
        self.embed.weight.requires_grad_(not cfg.freeze_embeddings)
        self.lstm = nn.LSTM(cfg.word_dim, cfg.mcn_hidden, batch_first=True)
        self.lang = nn.Linear(cfg.mcn_hidden, cfg.mcn_embed)
        self.visual = nn.Sequential(nn.Linear(2 * cfg.video_dim + 2, cfg.mcn_hidden), nn.ReLU(),
                                    nn.Dropout(cfg.video_dropout), nn.Linear(cfg.mcn_hidden, cfg.mcn_embed))
        a = torch.tensor([m[0] for m in MOMENTS])
        b = torch.tensor([m[1] for m in MOMENTS])
        self.register_buffer("span", ((torch.arange(NUM_CHUNKS)[None] >= a[:, None]) &
                                      (torch.arange(NUM_CHUNKS)[None] <= b[:, None])).float(), persistent=False)
        self.register_buffer("tef", torch.stack([a, b], 1).float() / NUM_CHUNKS, persistent=False)
        self.register_buffer("last", b, persistent=False)

    def forward(self, video, video_mask, words, word_mask):
        bsz, t, d = video.shape
        k = t // NUM_CHUNKS
        m = video_mask.reshape(bsz, NUM_CHUNKS, k)
        chunks = (video.reshape(bsz, NUM_CHUNKS, k, d) * m[..., None]).sum(2) / m.sum(2, keepdim=True).clamp_min(1)
        valid_chunk = (m.sum(2) > 0).float()  # (B, 6)
        ctx = F.normalize((chunks * valid_chunk[..., None]).sum(1) / valid_chunk.sum(1, keepdim=True).clamp_min(1), dim=-1)
        moment = F.normalize(torch.einsum("mc,bcd->bmd", self.span, chunks) / self.span.sum(1)[None, :, None], dim=-1)
        feats = torch.cat([moment, ctx[:, None].expand_as(moment), self.tef[None].expand(bsz, -1, -1)], -1)
        v = self.visual(feats)  # (B, 21, E)
        out, _ = self.lstm(self.embed(words))
        last = (word_mask.sum(1).long() - 1).clamp_min(0)
        q = self.lang(out[torch.arange(bsz), last])  # (B, E)
        score = -((v - q[:, None]) ** 2).sum(-1)
        ok = valid_chunk.gather(1, self.last[None].expand(bsz, -1)) > 0
        return score.masked_fill(~ok, -1e9)
