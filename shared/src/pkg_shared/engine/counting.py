"""Parameter and multiply-accumulate (MAC) counts built on ``torch.utils.flop_counter``.

FlopCounterMode counts 2 FLOPs per multiply-add for convolutions and matmuls; the papers report
multiply-adds (M-Adds / MACs), so we halve. Ops without a matmul/conv (pooling, element-wise,
shifts) count zero: packages that need them counted document and add a hand count.

Recurrent layers: PyTorch runs ``nn.LSTM`` as one fused kernel that FlopCounterMode does not see
(it reports 0 on the CPU, while ``nn.GRU``/``nn.RNN`` decompose into counted matmuls). For every
recurrent module whose calls the counter attributed no FLOPs to, we add the analytic count
``B * T * directions * sum_layers(gates * H * (I_l + H_out) [+ H * P])`` (gates 4/3/1 for
LSTM/GRU/RNN, ``P`` the LSTM projection size; biases and gate arithmetic not counted, as for
Linear), so an LSTM model is never silently reported as cheaper than it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence
from torch.utils.flop_counter import FlopCounterMode

_GATES = {nn.LSTM: 4, nn.GRU: 3, nn.RNN: 1}


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _inputs(example: torch.Tensor | Sequence[torch.Tensor]) -> tuple:
    return (example,) if isinstance(example, torch.Tensor) else tuple(example)


def rnn_step_macs(module: nn.RNNBase) -> int:
    """Multiply-adds of one time step of one sequence through every layer and direction."""
    gates = next(g for cls, g in _GATES.items() if isinstance(module, cls))
    hidden = module.hidden_size
    proj = getattr(module, "proj_size", 0) or 0
    out = proj or hidden
    dirs = 2 if module.bidirectional else 1
    total = 0
    for layer in range(module.num_layers):
        inp = module.input_size if layer == 0 else out * dirs
        total += gates * hidden * (inp + out) + hidden * proj
    return dirs * total


def _sequence_items(module: nn.RNNBase, x: torch.Tensor | PackedSequence) -> int:
    """batch x steps actually run (a packed sequence runs only its real steps)."""
    if isinstance(x, PackedSequence):
        return int(x.data.shape[0])
    if x.dim() == 2:  # unbatched (T, I)
        return int(x.shape[0])
    return int(x.shape[0] * x.shape[1])


def _run_counted(model: nn.Module, example) -> dict[str, int]:
    """FLOP-derived MACs per module name (relative, ``""`` = root) with uncounted RNNs added."""
    names = {m: n for n, m in model.named_modules()}
    rnn_calls: list[tuple[str, int]] = []

    def hook(mod, inputs, _output):
        rnn_calls.append((names[mod], _sequence_items(mod, inputs[0]) * rnn_step_macs(mod)))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, tuple(_GATES))]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(*_inputs(example))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    per_module: dict[str, int] = {}
    for name, per_op in counter.get_flop_counts().items():
        if name == "Global":
            continue
        # FlopCounterMode prefixes every name with the root's class name
        rel = name.split(".", 1)[1] if "." in name else ""
        per_module[rel] = sum(per_op.values()) // 2
    per_module.setdefault("", counter.get_total_flops() // 2)
    missing: dict[str, int] = {}
    for name, macs in rnn_calls:
        if per_module.get(name, 0) == 0:
            missing[name] = missing.get(name, 0) + macs
    for name, macs in missing.items():
        parts = name.split(".") if name else []
        for key in {".".join(parts[:k]) for k in range(len(parts) + 1)}:
            per_module[key] = per_module.get(key, 0) + macs
    return per_module


def count_macs(model: nn.Module, example: torch.Tensor | Sequence[torch.Tensor]) -> int:
    """Total multiply-adds of one forward pass on ``example`` (batch included), LSTMs included."""
    return _run_counted(model, example)[""]


def macs_by_module(model: nn.Module, example: torch.Tensor | Sequence[torch.Tensor]) -> dict[str, int]:
    """Multiply-adds per module, keyed like ``named_modules()`` (``""`` is the whole model)."""
    return _run_counted(model, example)
