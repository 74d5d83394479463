"""Inference rewrites: BN folding and channel permutation inside 1x1 -> shift -> 1x1 sandwiches.

Permuting the intermediate channels of a sandwich (rows of the expanding conv and its BN,
displacements, input columns of the projecting conv) leaves the function unchanged; sorting so
that unmoved channels come first and equal displacements are adjacent turns the shift into one
contiguous copy plus one slice per displacement group.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from pkg_efficient.models.blocks import ShiftUnit
from pkg_efficient.ops.shift import IntegerShift2d, SparseShift2d


@torch.no_grad()
def fold_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """Return a conv (with bias) equal to ``bn(conv(x))`` in eval mode."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps) if bn.affine else 1 / torch.sqrt(bn.running_var + bn.eps)
    shift = (bn.bias if bn.affine else 0) - bn.running_mean * scale
    out = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                    conv.dilation, conv.groups, bias=True, padding_mode=conv.padding_mode)
    out = out.to(device=conv.weight.device, dtype=conv.weight.dtype)
    out.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
    b = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    out.bias.copy_(b * scale + shift)
    return out


def shift_permutation(disp: torch.Tensor) -> torch.Tensor:
    """Channel order: unmoved channels first, then moved ones grouped by displacement (stable)."""
    keys = [(0 if (a == 0 and b == 0) else 1, a, b, c) for c, (a, b) in enumerate(disp.tolist())]
    return torch.tensor([k[3] for k in sorted(keys)], dtype=torch.long)


@torch.no_grad()
def unit_to_inference(unit: ShiftUnit, *, permute: bool = True, inplace_ok: bool = False) -> nn.Sequential:
    """A plain Sequential (conv+bias, ReLU, IntegerShift2d, conv+bias) equal to ``unit`` in eval mode."""
    disp = unit.shift.int_displacements()
    proj = fold_bn(unit.project, unit.bn2)
    if unit.expand is None:
        return nn.Sequential(IntegerShift2d(disp, unit.shift.stride, unit.shift.padding, inplace_ok=False), proj)
    exp = fold_bn(unit.expand, unit.bn1)
    if permute:
        perm = shift_permutation(disp)
        exp.weight.copy_(exp.weight[perm])
        exp.bias.copy_(exp.bias[perm])
        proj.weight.copy_(proj.weight[:, perm])
        disp = disp[perm]
    shift = IntegerShift2d(disp, unit.shift.stride, unit.shift.padding, inplace_ok=inplace_ok)
    return nn.Sequential(exp, nn.ReLU(inplace=True), shift, proj)


def to_inference(model: nn.Module, *, permute: bool = True, inplace_ok: bool = False,
                 export_mode: bool = False) -> nn.Module:
    """Deep copy of ``model`` (eval) with every ShiftUnit rewritten for inference."""
    model = copy.deepcopy(model).eval()
    for name, mod in list(model.named_modules()):
        for child_name, child in list(mod.named_children()):
            if isinstance(child, ShiftUnit):
                if child.shift.mode == "active":
                    raise ValueError(f"{name}.{child_name}: active (bilinear) shifts have no integer inference form")
                new = unit_to_inference(child, permute=permute, inplace_ok=inplace_ok)
                for m in new.modules():
                    if isinstance(m, IntegerShift2d):
                        m.export_mode = export_mode
                setattr(mod, child_name, new)
    return model


def shift_stats(model: nn.Module) -> dict:
    """Shift sparsity over all SSL layers and the moved-elements-per-image proxy (§2.3)."""
    total = moved = elems = 0
    hist: dict[int, int] = {}
    for m in model.modules():
        if isinstance(m, SparseShift2d) and m.mode != "none":
            s = m.stats()
            total += s["channels"]
            moved += s["moved_channels"]
            elems += s["moved_channels"] * m.last_hw
            for k, v in s["histogram"].items():
                hist[k] = hist.get(k, 0) + v
    return {"shift_channels": total, "moved_channels": moved,
            "shift_sparsity": 1.0 - moved / total if total else 1.0,
            "moved_elements_per_image": elems, "displacement_histogram": dict(sorted(hist.items()))}
