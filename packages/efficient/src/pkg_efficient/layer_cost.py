"""Per-layer M-Adds, parameters and measured CPU latency of a model before and after compression.

Why: the theoretical speed-up counts only conv/FC multiply-adds, but on a CPU the early
high-resolution layers are memory-bound and pooling/ReLU cost time without any M-Add, so a
uniformly pruned VGG-16 runs slower than its M-Adds promise. The per-layer table shows where.

Latency is measured with forward hooks on leaf modules (time from the pre-hook to the hook), the
median over ``repeat`` passes after one warm-up; hook overhead (microseconds) makes the per-layer
sum slightly larger than the whole-model time.

Layout: by default models are timed in ``channels_last`` (NHWC), the layout oneDNN's CPU
convolutions work in. In the default NCHW layout every convolution reorders its input and output
into a blocked format and back, a cost that grows linearly with the width while M-Adds fall with
its square, so NCHW timings understate what pruning gains (VGG-16 at 5x, conv layers, batch 1:
x3.8-3.9 NCHW vs x4.1-4.3 NHWC, same widths, same process).
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from pkg_efficient.flops import count_layers


def in_layout(model: nn.Module, x: torch.Tensor, channels_last: bool) -> tuple[nn.Module, torch.Tensor]:
    """A copy of ``model`` and ``x`` in NHWC when ``channels_last`` (the caller's model is left as it is)."""
    if not channels_last:
        return model, x
    import copy

    return copy.deepcopy(model).to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def layer_latency_ms(model: nn.Module, size: int = 224, batch: int = 1, repeat: int = 5,
                     channels_last: bool = True) -> dict[str, float]:
    """Median forward time (ms) of every leaf module that runs, by module name."""
    p = next(iter(model.parameters()), None)
    x = torch.randn(batch, 3, size, size, dtype=p.dtype if p is not None else torch.float32)
    was = model.training
    timed, x = in_layout(model, x, channels_last)
    leaves = [(n, m) for n, m in timed.named_modules() if n and not any(True for _ in m.children())]
    samples: dict[str, list[float]] = {n: [] for n, _ in leaves}
    start: dict[str, float] = {}
    hooks = []
    for name, mod in leaves:
        hooks.append(mod.register_forward_pre_hook(lambda m, a, name=name: start.__setitem__(name, time.perf_counter())))
        hooks.append(mod.register_forward_hook(
            lambda m, a, o, name=name: samples[name].append(time.perf_counter() - start[name])))
    timed.eval()
    try:
        timed(x)  # warm-up, discarded
        for v in samples.values():
            v.clear()
        for _ in range(max(repeat, 1)):
            timed(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was)
    return {n: 1e3 * statistics.median(v) for n, v in samples.items() if v}


def _owner(name: str, originals: list[str]) -> str:
    """The original layer a module of the compressed model replaces (decompositions turn one conv
    into a Sequential of several: features.3 -> features.3.0, features.3.1)."""
    best = ""
    for o in originals:
        if (name == o or name.startswith(o + ".")) and len(o) > len(best):
            best = o
    return best or name


def per_layer_table(before: nn.Module, after: nn.Module, size: int = 224, batch: int = 1,
                    repeat: int = 5, channels_last: bool = True) -> list[dict]:
    """One row per leaf module of ``before`` (in forward order) with M-Adds (M), parameters (k)
    and latency (ms) before and after; modules of ``after`` are summed into the layer they replace."""
    lat_b = layer_latency_ms(before, size, batch, repeat, channels_last)
    lat_a = layer_latency_ms(after, size, batch, repeat, channels_last)
    cost_b = {r.name: r for r in count_layers(before, size)}
    cost_a = {r.name: r for r in count_layers(after, size)}
    order = list(lat_b)
    rows = {n: {"layer": n, "kind": type(before.get_submodule(n)).__name__,
                "before": {"madds_M": 0.0, "params_k": 0.0, "latency_ms": lat_b[n]},
                "after": {"madds_M": 0.0, "params_k": 0.0, "latency_ms": 0.0}} for n in order}
    for n, c in cost_b.items():
        if n in rows:
            rows[n]["before"]["madds_M"] = c.macs / 1e6
            rows[n]["before"]["params_k"] = c.params / 1e3
    for n, ms in lat_a.items():
        owner = _owner(n, order)
        if owner not in rows:  # a module with no counterpart (e.g. an inserted BN): its own row
            rows[owner] = {"layer": owner, "kind": type(after.get_submodule(n)).__name__,
                           "before": {"madds_M": 0.0, "params_k": 0.0, "latency_ms": 0.0},
                           "after": {"madds_M": 0.0, "params_k": 0.0, "latency_ms": 0.0}}
            order.append(owner)
        rows[owner]["after"]["latency_ms"] += ms
        if n in cost_a:
            rows[owner]["after"]["madds_M"] += cost_a[n].macs / 1e6
            rows[owner]["after"]["params_k"] += cost_a[n].params / 1e3
    return [rows[n] for n in order]


def format_per_layer(rows: list[dict], min_share: float = 0.01) -> str:
    """Text table of the layers that take at least ``min_share`` of the original time or have M-Adds."""
    total = sum(r["before"]["latency_ms"] for r in rows) or 1.0
    lines = [f"{'layer':28s} {'kind':12s} {'M-Adds before':>13s} {'after':>9s} {'ms before':>10s} {'after':>9s} {'measured':>9s}"]
    for r in rows:
        b, a = r["before"], r["after"]
        if b["madds_M"] == 0 and b["latency_ms"] < min_share * total:
            continue
        ratio = f"x{b['latency_ms'] / a['latency_ms']:.2f}" if a["latency_ms"] > 0 else "-"
        lines.append(f"{r['layer']:28s} {r['kind']:12s} {b['madds_M']:13.1f} {a['madds_M']:9.1f} "
                     f"{b['latency_ms']:10.2f} {a['latency_ms']:9.2f} {ratio:>9s}")
    return "\n".join(lines)


def speedup_by_scope(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Theoretical and measured speed-up over the conv layers only (He et al.'s convention, the
    spec's headline for VGG-16) and over every layer, from a :func:`per_layer_table`. Comparing a
    measured speed-up with a theoretical one is only fair within one scope: pooling and ReLU add
    time but no M-Adds, and FC layers add M-Adds to ``total`` only."""
    scopes = {"conv_only": [r for r in rows if r["kind"] == "Conv2d"], "total": rows}
    out = {}
    for scope, rs in scopes.items():
        mb, ma = sum(r["before"]["madds_M"] for r in rs), sum(r["after"]["madds_M"] for r in rs)
        tb, ta = sum(r["before"]["latency_ms"] for r in rs), sum(r["after"]["latency_ms"] for r in rs)
        theo = mb / ma if ma > 0 else float("inf")
        meas = tb / ta if ta > 0 else float("inf")
        out[scope] = {"madds_M_before": mb, "madds_M_after": ma, "latency_ms_before": tb, "latency_ms_after": ta,
                      "theoretical": theo, "measured": meas, "measured_over_theoretical": meas / theo}
    return out


def format_scopes(scopes: dict[str, dict[str, float]]) -> str:
    return "; ".join(f"{k}: x{v['theoretical']:.2f} M-Adds, x{v['measured']:.2f} measured "
                     f"({100 * (1 - v['measured_over_theoretical']):.0f} % short)" for k, v in scopes.items())
