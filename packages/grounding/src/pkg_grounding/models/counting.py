"""MAC counting for ASST: FlopCounterMode (matmuls, convs, bmm) plus a hand count for the RNNs.

Why: on the CPU PyTorch runs ``nn.LSTM``/``nn.GRU`` as one fused kernel that FlopCounterMode does
not see (it reports 0), so we add, per RNN call, ``B * T * gates * H * (I + H)`` multiply-adds
(gates = 4 for LSTM, 3 for GRU; biases and element-wise gate maths not counted, as for Linear).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from pkg_shared.engine import count_macs


def rnn_macs(kind: str, batch: int, steps: int, input_size: int, hidden: int) -> int:
    gates = {"LSTM": 4, "GRU": 3}[kind]
    return batch * steps * gates * hidden * (input_size + hidden)


@torch.no_grad()
def count_macs_with_rnn(model: nn.Module, example: Sequence[torch.Tensor]) -> int:
    """Total multiply-adds of one forward pass (batch included), RNNs included."""
    total = [0]

    def hook(mod, inputs, _output):
        x = inputs[0]
        b, t = (x.shape[0], x.shape[1]) if mod.batch_first else (x.shape[1], x.shape[0])
        total[0] += rnn_macs(type(mod).__name__, b, t, mod.input_size, mod.hidden_size)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.LSTM, nn.GRU))]
    try:
        base = count_macs(model, tuple(example))
    finally:
        for h in handles:
            h.remove()
    return base + total[0]
