"""MAC counting for ASST, RNNs included.

Why a name of its own: the tests and `grounding-count` ask for "MACs with the RNNs"; the fused
LSTM kernel that FlopCounterMode misses is now counted by ``pkg_shared.engine.count_macs`` itself
(analytic ``B * T * gates * H * (I + H)`` per layer and direction).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from pkg_shared.engine import count_macs


def count_macs_with_rnn(model: nn.Module, example: Sequence[torch.Tensor]) -> int:
    """Total multiply-adds of one forward pass (batch included), RNNs included."""
    return count_macs(model, tuple(example))
