"""Parameter and multiply-accumulate (MAC) counts built on ``torch.utils.flop_counter``.

FlopCounterMode counts 2 FLOPs per multiply-add for convolutions and matmuls; the papers report
multiply-adds (M-Adds / MACs), so we halve. Ops without a matmul/conv (pooling, element-wise,
shifts) count zero: packages that need them counted document and add a hand count.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _inputs(example: torch.Tensor | Sequence[torch.Tensor]) -> tuple:
    return (example,) if isinstance(example, torch.Tensor) else tuple(example)


@torch.no_grad()
def count_macs(model: nn.Module, example: torch.Tensor | Sequence[torch.Tensor]) -> int:
    """Total multiply-adds of one forward pass on ``example`` (batch included)."""
    was_training = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as counter:
            model(*_inputs(example))
    finally:
        model.train(was_training)
    return counter.get_total_flops() // 2


@torch.no_grad()
def macs_by_module(model: nn.Module, example: torch.Tensor | Sequence[torch.Tensor]) -> dict[str, int]:
    """Multiply-adds per module, keyed like ``named_modules()`` (``""`` is the whole model)."""
    was_training = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as counter:
            model(*_inputs(example))
    finally:
        model.train(was_training)
    out: dict[str, int] = {}
    for name, per_op in counter.get_flop_counts().items():
        if name == "Global":
            continue
        # FlopCounterMode prefixes every name with the root's class name
        rel = name.split(".", 1)[1] if "." in name else ""
        out[rel] = sum(per_op.values()) // 2
    return out
