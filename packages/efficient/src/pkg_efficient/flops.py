"""Multiply-add (M-Adds / MACs) and parameter counter in the spec's convention (§1.1).

Counted: Conv2d ``C_in/groups * kh * kw * C_out * H_out * W_out`` and Linear ``in * out`` (bias
adds not counted). Not counted: BN, ReLU, pooling, element-wise adds, concat, and shifts (0 on
purpose). Parameters: conv/linear weights and biases; BN and shift displacements are reported
separately. ``FLOPs(paper C) = 2 * M-Adds``.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from pkg_efficient.ops.shift import IntegerShift2d, SparseShift2d


@dataclasses.dataclass
class LayerCost:
    name: str
    kind: str
    shape: str
    out_hw: str
    macs: int
    params: int


@torch.no_grad()
def count_layers(model: nn.Module, input_size: int | tuple[int, int] = 224, in_ch: int = 3) -> list[LayerCost]:
    """Per-layer costs for one image, in forward order (hooks on leaf modules)."""
    hw = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    rows: list[LayerCost] = []
    hooks = []

    def hook(name):
        def fn(mod, inp, out):
            if isinstance(mod, nn.Conv2d):
                kh, kw = mod.kernel_size
                ho, wo = out.shape[-2:]
                macs = mod.in_channels // mod.groups * kh * kw * mod.out_channels * ho * wo
                shape = f"{mod.in_channels}->{mod.out_channels} k{kh}x{kw} s{mod.stride[0]} g{mod.groups}"
                rows.append(LayerCost(name, "conv", shape, f"{ho}x{wo}", macs, _wb(mod)))
            elif isinstance(mod, nn.Linear):
                rows.append(LayerCost(name, "fc", f"{mod.in_features}->{mod.out_features}", "1x1",
                                      mod.in_features * mod.out_features, _wb(mod)))
            elif isinstance(mod, (SparseShift2d, IntegerShift2d)):
                c = mod.channels if isinstance(mod, SparseShift2d) else mod.disp.shape[0]
                rows.append(LayerCost(name, "shift", f"{c}ch", "x".join(map(str, out.shape[-2:])), 0, 0))
        return fn

    for name, mod in model.named_modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear, SparseShift2d, IntegerShift2d)):
            hooks.append(mod.register_forward_hook(hook(name)))
    was = model.training
    model.eval()
    try:
        p = next(iter(model.parameters()), None)
        dtype = p.dtype if p is not None and p.is_floating_point() else torch.float32
        device = p.device if p is not None else "cpu"
        model(torch.zeros(1, in_ch, *hw, dtype=dtype, device=device))
    finally:
        model.train(was)
        for h in hooks:
            h.remove()
    return rows


def _wb(mod: nn.Module) -> int:
    return mod.weight.numel() + (mod.bias.numel() if getattr(mod, "bias", None) is not None else 0)


def count(model: nn.Module, input_size: int | tuple[int, int] = 224) -> dict:
    """Totals: M-Adds (all, conv-only), parameters (conv+FC weights and biases), the same without
    biases (``weight_params``: the convention of the spec's FE-Net counts), BN and shift counts."""
    rows = count_layers(model, input_size)
    bn = sum(m.weight.numel() + m.bias.numel() for m in model.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.affine)
    shift = sum(m.disp.numel() for m in model.modules() if isinstance(m, SparseShift2d) and hasattr(m, "disp"))
    shiftable = sum(m.channels for m in model.modules() if isinstance(m, SparseShift2d))
    return {
        "macs": sum(r.macs for r in rows),
        "conv_macs": sum(r.macs for r in rows if r.kind == "conv"),
        "params": sum(r.params for r in rows),
        "weight_params": sum(m.weight.numel() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))),
        "bn_params": bn,
        "shift_params": shift,
        "shiftable_channels": shiftable,
    }


def format_table(rows: list[LayerCost]) -> str:
    """Fixed-width text table with a total line (M-Adds in millions, params in thousands)."""
    lines = [f"{'layer':<40} {'kind':<5} {'shape':<28} {'out':>9} {'M-Adds':>10} {'params(k)':>10}"]
    for r in rows:
        lines.append(f"{r.name:<40} {r.kind:<5} {r.shape:<28} {r.out_hw:>9} {r.macs / 1e6:>10.3f} {r.params / 1e3:>10.2f}")
    tm, tp = sum(r.macs for r in rows), sum(r.params for r in rows)
    lines.append(f"{'total':<40} {'':<5} {'':<28} {'':>9} {tm / 1e6:>10.3f} {tp / 1e3:>10.2f}")
    return "\n".join(lines)
