"""Pictures of what the three papers are about: where the shifts go (paper A), cost vs error /
accuracy of compression methods (papers B, C), and the singular spectra behind degeneracy (C).

Every function writes one PNG atomically (temporary file + rename) and returns its path.
"""

from __future__ import annotations

import pathlib

import torch
from torch import nn

from pkg_efficient.ops.shift import SparseShift2d
from pkg_shared.fsutil import atomic_path

OURS = ("ldrf", "fga")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: pathlib.Path) -> pathlib.Path:
    path = pathlib.Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        _pyplot().close(fig)
    return path


def shift_layers(model: nn.Module) -> list[dict]:
    """Per shift layer: name, channels, moved channels and the integer displacements."""
    rows = []
    for name, m in model.named_modules():
        if isinstance(m, SparseShift2d) and m.mode != "none":
            st = m.stats()
            rows.append({"name": name, "channels": st["channels"], "moved": st["moved_channels"],
                         "disp": m.int_displacements()})
    return rows


def plot_shifts(model: nn.Module, path: pathlib.Path, title: str = "") -> pathlib.Path:
    """Left: fraction of moved channels per shift layer. Right: how often each integer
    displacement (a, b) is used over all layers (log colour; the unmoved (0, 0) cell is annotated)."""
    rows = shift_layers(model)
    if not rows:
        raise ValueError("the model has no learnable/grouped shift layers")
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.6, 1]})
    frac = [r["moved"] / max(r["channels"], 1) for r in rows]
    ax1.bar(range(len(rows)), frac, color="tab:orange")
    ax1.set_xticks(range(len(rows)))
    ax1.set_xticklabels([r["name"].replace(".shift", "").replace("features.", "") for r in rows], rotation=75, fontsize=7)
    ax1.set_ylabel("moved channels / channels")
    ax1.set_ylim(0, 1)
    total = sum(r["channels"] for r in rows)
    moved = sum(r["moved"] for r in rows)
    ax1.set_title(f"{title} shift sparsity {1 - moved / max(total, 1):.2f} ({moved}/{total} channels moved)".strip())
    disp = torch.cat([r["disp"] for r in rows])
    rng = int(max(1, disp.abs().max()))
    grid = torch.zeros(2 * rng + 1, 2 * rng + 1)
    for a, b in disp.tolist():
        grid[a + rng, b + rng] += 1
    im = ax2.imshow(torch.log10(grid + 1).numpy(), cmap="viridis", extent=(-rng - 0.5, rng + 0.5, rng + 0.5, -rng - 0.5))
    ax2.annotate(f"{int(grid[rng, rng])}", (0, 0), ha="center", va="center", color="white", fontsize=8)
    ax2.set_xlabel("horizontal displacement b")
    ax2.set_ylabel("vertical displacement a")
    ax2.set_title("integer displacements (log10 count + 1)")
    fig.colorbar(im, ax=ax2, fraction=0.046)
    fig.tight_layout()
    return _save(fig, path)


def label_offsets(points: list[dict], near: float = 0.06, step: int = 11) -> list[tuple[int, int]]:
    """Label offsets (points) that stack the labels of points lying close together (same M-Adds,
    similar value: the pruners at one speed-up) instead of printing them on top of each other."""
    xs = [p["madds_M"] for p in points]
    ys = [p["value"] for p in points]
    sx = (max(xs) - min(xs)) or 1.0 if xs else 1.0
    sy = (max(ys) - min(ys)) or 1.0 if ys else 1.0
    out: list[tuple[int, int]] = []
    for i in range(len(points)):
        k = sum(1 for j in range(i) if abs(xs[i] - xs[j]) / sx < near and abs(ys[i] - ys[j]) / sy < near)
        right = xs and (xs[i] - min(xs)) / sx > 0.75  # near the right edge: label to the left of the point
        out.append((-8 if right else 5, 4 + step * k))
    return out


def plot_tradeoff(points: list[dict], path: pathlib.Path, ylabel: str, title: str = "",
                  baseline: dict | None = None) -> pathlib.Path:
    """Scatter of ``value`` against ``madds_M`` per method; ours (LDRF, FGA) as stars."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for p, off in zip(points, label_offsets(points)):
        ours = p["method"] in OURS
        ax.scatter(p["madds_M"], p["value"], marker="*" if ours else "o", s=150 if ours else 60,
                   color="tab:red" if ours else "tab:blue", zorder=3)
        ax.annotate(p.get("label", p["method"]), (p["madds_M"], p["value"]), textcoords="offset points", xytext=off,
                    fontsize=9, ha="right" if off[0] < 0 else "left", arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.6} if off[1] > 4 else None)
    if baseline is not None:
        ax.scatter(baseline["madds_M"], baseline["value"], marker="s", color="black", zorder=3)
        ax.annotate("original", (baseline["madds_M"], baseline["value"]), textcoords="offset points", xytext=(5, -12))
    ax.set_xlabel("M-Adds (multiply-accumulates, millions)")
    ax.set_ylabel(ylabel)
    ax.set_title(title or "ours (*) vs baselines (o)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def report_point(rep: dict, metric: str = "auto") -> tuple[dict, dict | None, str]:
    """(point, original-model point or None, y label) of one ``efficient-compress`` report."""
    accs = {"top1_after": ("accuracy_after_finetune", "top-1 after fine-tuning (%)"),
            "top1_before": ("accuracy_before_finetune", "top-1 before fine-tuning (%)")}
    if metric == "auto":
        metric = next((m for m, (k, _) in accs.items() if k in rep), "logit_error")
    if metric == "logit_error":
        value, label, base = rep["logit_rel_error_calib"], "relative logit error (calibration set)", None
    else:
        key, label = accs[metric]
        if key not in rep:
            raise KeyError(f"the report has no {key}")
        value = rep[key]["top1"]
        orig = rep.get("accuracy_before_compression")
        base = {"madds_M": rep["madds_M"]["before"], "value": orig["top1"]} if orig else None
    speed = rep["speedup_theoretical"]["conv_only"]
    point = {"method": rep["method"], "madds_M": rep["madds_M"]["after"], "value": value,
             "label": f"{rep['method']} x{speed:.1f}"}
    return point, base, label


def weq_spectra(model: nn.Module, layers: list[str], kind: str) -> list[tuple[str, torch.Tensor, int]]:
    """(layer, singular values of W_eq as n x c k^2, full rank) of each decomposed layer."""
    from pkg_efficient.compress.fga import equivalent_weight
    from pkg_efficient.compress.tensor_decomp import cp_weight, tucker2_weight

    weight_of = {"fga": equivalent_weight, "chandecomp": equivalent_weight, "tucker": tucker2_weight, "cp": cp_weight}
    if kind not in weight_of:
        raise ValueError(f"no equivalent weight for {kind!r} checkpoints (fga, chandecomp, tucker, cp)")
    out = []
    for name in layers:
        w = weight_of[kind](model.get_submodule(name))
        m = w.reshape(w.shape[0], -1)
        out.append((name, torch.linalg.svdvals(m.detach()), min(m.shape)))
    return out


def plot_spectra(spectra: list[tuple[str, torch.Tensor, int]], path: pathlib.Path, title: str = "",
                 rel: float = 1e-3) -> pathlib.Path:
    """sigma_i / sigma_max of each layer's W_eq (log scale) with the degeneracy threshold."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    cmap = plt.get_cmap("viridis")
    for i, (name, s, full) in enumerate(spectra):
        ax.semilogy((torch.arange(1, len(s) + 1) / full).numpy(), (s / s[0]).clamp_min(1e-12).numpy(), color=cmap(i / max(1, len(spectra) - 1)),
                    label=name if len(spectra) <= 8 else None)
    ax.axhline(rel, color="tab:red", ls="--", lw=1, label=f"degenerate below {rel:g} sigma_max")
    ax.set_xlabel("singular value index / full rank")
    ax.set_ylabel("sigma / sigma_max")
    frac = [float((s < rel * s[0]).sum()) / len(s) for _, s, _ in spectra]
    ax.set_title(title or f"W_eq spectra: mean degenerate fraction {sum(frac) / max(len(frac), 1):.2f}")
    ax.set_ylim(top=2)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return _save(fig, path)

