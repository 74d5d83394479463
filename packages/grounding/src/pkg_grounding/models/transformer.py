"""A masked pre-norm Transformer encoder, the ``translator: transformer`` option of the asst_plus preset.

Why not ``nn.TransformerEncoder``: its inference fast path (nested tensors) does not trace or export;
this one is plain Linear/LayerNorm/``scaled_dot_product_attention`` with a key-padding mask, so
padded steps never change valid ones and the graph exports to TorchScript and ONNX. No positional
encoding: it runs on the output of the context BiLSTM (L4), which already carries the order.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class EncoderLayer(nn.Module):
    def __init__(self, width: int, heads: int, ffn: int, dropout: float) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} is not divisible by {heads} heads")
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ffn = nn.Sequential(nn.Linear(width, ffn), nn.GELU(), nn.Dropout(dropout), nn.Linear(ffn, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, key_ok: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=key_ok[:, None, None, :])
        x = x + self.drop(self.proj(a.transpose(1, 2).reshape(b, t, c)))
        return x + self.drop(self.ffn(self.norm2(x)))


class MaskedTransformer(nn.Module):
    """(B, T, C) + lengths (B,) -> (B, T, C); attention only to valid steps, padded outputs zeroed."""

    def __init__(self, width: int, layers: int = 2, heads: int = 8, dropout: float = 0.1) -> None:
        super().__init__()
        self.layers = nn.ModuleList(EncoderLayer(width, heads, 2 * width, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        ok = torch.arange(x.shape[1], device=x.device)[None] < lengths[:, None]
        for layer in self.layers:
            x = layer(x, ok)
        return self.norm(x) * ok[..., None].to(x.dtype)
