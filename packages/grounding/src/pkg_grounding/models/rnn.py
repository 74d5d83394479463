"""A bidirectional RNN that respects per-sample lengths without PackedSequence.

Why not ``pack_padded_sequence``: packed sequences do not trace/export (TorchScript, ONNX). We run
two unidirectional RNNs; the backward one reads each sequence reversed *within its own length*
(a gather), so padding never leaks into valid positions and the graph is export-friendly. The
parameter count equals ``nn.LSTM(bidirectional=True)``.
"""

from __future__ import annotations

import torch
from torch import nn


def reverse_index(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """(B, T) index that reverses positions ``0..len-1`` of each row and keeps the padding in place."""
    t = torch.arange(max_len, device=lengths.device).unsqueeze(0)
    lens = lengths.unsqueeze(1)
    return torch.where(t < lens, lens - 1 - t, t)


def _make_rnn(kind: str, input_size: int, hidden: int) -> nn.Module:
    cls = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]
    return cls(input_size, hidden, num_layers=1, batch_first=True)


class MaskedBiRNN(nn.Module):
    """(B, T, I) + lengths (B,) -> (B, T, 2H); outputs at padded positions are zeroed."""

    def __init__(self, input_size: int, hidden: int, kind: str = "lstm") -> None:
        super().__init__()
        self.kind = kind
        self.fwd = _make_rnn(kind, input_size, hidden)
        self.bwd = _make_rnn(kind, input_size, hidden)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Orthogonal recurrent weights, Xavier input weights, LSTM forget-gate bias 1 (sum of both biases)."""
        for rnn in (self.fwd, self.bwd):
            for name, p in rnn.named_parameters():
                if "weight_hh" in name:
                    gates = p.shape[0] // p.shape[1]
                    for g in range(gates):
                        nn.init.orthogonal_(p.data[g * p.shape[1] : (g + 1) * p.shape[1]])
                elif "weight_ih" in name:
                    nn.init.xavier_uniform_(p.data)
                elif "bias" in name:
                    nn.init.zeros_(p.data)
                    if self.kind == "lstm" and "bias_ih" in name:
                        h = p.shape[0] // 4
                        p.data[h : 2 * h] = 1.0  # PyTorch gate order: input, forget, cell, output

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        mask = (torch.arange(t, device=x.device).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(-1)
        x = x * mask.to(x.dtype)
        out_f, _ = self.fwd(x)
        idx = reverse_index(lengths, t).unsqueeze(-1)
        x_rev = torch.gather(x, 1, idx.expand(b, t, x.shape[-1]))
        out_b, _ = self.bwd(x_rev)
        out_b = torch.gather(out_b, 1, idx.expand(b, t, out_b.shape[-1]))
        return torch.cat([out_f, out_b], dim=-1) * mask.to(x.dtype)
