"""Latency comparisons (candidate vs baseline in the same process; ratio = baseline / candidate)."""

from __future__ import annotations

import torch
from torch import nn

from pkg_efficient.ops.shift import IntegerShift2d, grouped_offsets
from pkg_shared.engine.bench import compare


def sparse_displacements(channels: int, sparsity: float, seed: int = 0) -> torch.Tensor:
    """Unmoved channels first (as after permutation folding); moved ones get one of the 8 unit offsets."""
    g = torch.Generator().manual_seed(seed)
    moved = int(round(channels * (1 - sparsity)))
    disp = torch.zeros(channels, 2, dtype=torch.long)
    offs = torch.tensor([[a, b] for a in (-1, 0, 1) for b in (-1, 0, 1) if a or b])
    if moved:
        pick = offs[torch.randint(0, 8, (moved,), generator=g)]
        disp[channels - moved:] = pick[torch.argsort(pick[:, 0] * 3 + pick[:, 1], stable=True)]
    return disp


def bench_shift(channels: int = 192, hw: int = 28, batch: int = 1, sparsities=(0.0, 0.5, 0.8, 0.95),
                repeat: int = 50, inplace: bool = True, grouped: bool = True) -> list[dict]:
    """SSL inference shift at each sparsity (and ShiftNet's grouped shift) vs a 3x3 depthwise convolution."""
    x = torch.randn(batch, channels, hw, hw)
    dw = nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False).eval()
    out = []
    with torch.no_grad():
        for s in sparsities:
            layer = IntegerShift2d(sparse_displacements(channels, s), inplace_ok=inplace)
            out.append(compare(f"ssl_sparsity_{s:.2f}_vs_dw3x3 C={channels} {hw}x{hw} b={batch}",
                               lambda layer=layer: layer(x), lambda: dw(x), warmup=3, repeat=repeat,
                               extra={"sparsity": s, "threads": torch.get_num_threads(), "batch": batch}))
        if grouped:  # ShiftNet's fixed shift (spec §2.4 lists it): every channel but the (0, 0) group moves
            disp = grouped_offsets(channels)
            order = torch.argsort((disp[:, 0] != 0) | (disp[:, 1] != 0), stable=True)  # unmoved first, as folded
            layer = IntegerShift2d(disp[order], inplace_ok=inplace)
            s = float(((disp[:, 0] == 0) & (disp[:, 1] == 0)).float().mean())
            out.append(compare(f"grouped_shift_vs_dw3x3 C={channels} {hw}x{hw} b={batch}", lambda: layer(x), lambda: dw(x),
                               warmup=3, repeat=repeat,
                               extra={"sparsity": s, "threads": torch.get_num_threads(), "batch": batch, "mode": "grouped"}))
    return out


def bench_models(candidate: nn.Module, baseline: nn.Module, name: str, size: int = 224, batch: int = 1,
                 repeat: int = 20, channels_last: bool = True) -> dict:
    """Both models in the same layout: NHWC by default (oneDNN's own; see layer_cost), or NCHW."""
    from pkg_efficient.flops import count
    from pkg_efficient.layer_cost import in_layout

    x = torch.randn(batch, 3, size, size)
    cand, xc = in_layout(candidate.eval(), x, channels_last)
    base, xb = in_layout(baseline.eval(), x, channels_last)
    with torch.no_grad():
        r = compare(name, lambda: cand(xc), lambda: base(xb), warmup=2, repeat=repeat)
    r["madds_M"] = {"candidate": count(candidate, size)["macs"] / 1e6, "baseline": count(baseline, size)["macs"] / 1e6}
    r["batch"] = batch
    r["layout"] = "channels_last" if channels_last else "nchw"
    return r
