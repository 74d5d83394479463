"""The paper's interpretability analysis: how much each CoST layer relies on each view.

CoST(a): softmax(alpha) per layer from the parameters (mean over channels, plus per-channel values).
CoST(b): alpha recorded on every clip of a data set (one centre view each), averaged per layer
and per class. "temporal share" = alpha_tw + alpha_th.
"""

from __future__ import annotations

import collections
import csv
import io

import numpy as np
import torch
from torch import nn

from pkg_video.models import cost_layers


def static_coefficients(model: nn.Module) -> dict[str, np.ndarray]:
    """Layer name -> (3, C) view weights for input-independent layers (CoST(a), avg)."""
    out = {}
    for name, layer in cost_layers(model):
        if layer.variant in ("a", "avg"):
            out[name] = layer.coefficients().detach().cpu().double().numpy()
    return out


@torch.no_grad()
def dynamic_coefficients(model: nn.Module, clips, device="cpu") -> tuple[dict[str, np.ndarray], dict]:
    """Mean (3,) per layer over all clips, and {class: {layer: (3,)}} for CoST(b).

    ``clips`` yields (video (N,3,T,H,W), labels (N,)).
    """
    layers = [(n, m) for n, m in cost_layers(model) if m.variant == "b"]
    for _, m in layers:
        m.record_alpha = True
    total = {n: np.zeros(3) for n, _ in layers}
    per_class: dict = collections.defaultdict(lambda: {n: np.zeros(3) for n, _ in layers})
    count, class_count = 0, collections.Counter()
    model.eval()
    try:
        for video, labels in clips:
            model(video.to(device))
            for n, m in layers:
                a = m.last_alpha.mean(dim=2).cpu().double().numpy()  # (N, 3): mean over channels
                total[n] += a.sum(0)
                for row, y in zip(a, labels.tolist()):
                    per_class[int(y)][n] += row
            count += len(labels)
            class_count.update(int(y) for y in labels.tolist())
    finally:
        for _, m in layers:
            m.record_alpha = False
            m.last_alpha = None
    mean = {n: v / max(count, 1) for n, v in total.items()}
    pc = {c: {n: v / class_count[c] for n, v in d.items()} for c, d in per_class.items()}
    return mean, pc


def layer_table(per_layer: dict[str, np.ndarray]) -> list[dict]:
    rows = []
    for name, a in per_layer.items():
        m = a.mean(axis=1) if a.ndim == 2 else a
        rows.append({"layer": name, "hw": float(m[0]), "tw": float(m[1]), "th": float(m[2]),
                     "temporal_share": float(m[1] + m[2])})
    return rows


def channel_table(per_layer: dict[str, np.ndarray]) -> list[dict]:
    """One row per (layer, output channel) of the (3, C) view weights of CoST(a) layers."""
    rows = []
    for name, a in per_layer.items():
        for c in range(a.shape[1]):
            rows.append({"layer": name, "channel": c, "hw": float(a[0, c]), "tw": float(a[1, c]),
                         "th": float(a[2, c]), "temporal_share": float(a[1, c] + a[2, c])})
    return rows


def table_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def plot(rows: list[dict], out_png, title: str = "CoST view coefficients per layer",
         channels: dict[str, np.ndarray] | None = None) -> None:
    """Stacked shares per layer (layers on x); with ``channels`` a second panel of per-channel hists."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_panels = 2 if channels else 1
    fig, axes = plt.subplots(1, n_panels, figsize=(6.5 * n_panels, 3.6), squeeze=False)
    ax = axes[0, 0]
    x = np.arange(len(rows))
    bottom = np.zeros(len(rows))
    for key, colour, label in (("hw", "#4c72b0", "H-W (spatial)"), ("tw", "#dd8452", "T-W"), ("th", "#55a868", "T-H")):
        v = np.array([r[key] for r in rows])
        ax.bar(x, v, bottom=bottom, color=colour, label=label)
        bottom += v
    ax.set_xticks(x, [r["layer"] for r in rows], rotation=45, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean coefficient")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    if channels:
        ax2 = axes[0, 1]
        temporal = np.concatenate([a[1] + a[2] for a in channels.values()])
        ax2.hist(temporal, bins=30, color="#8172b2")
        ax2.set_xlabel("temporal share per channel (alpha_tw + alpha_th)")
        ax2.set_ylabel("channels")
        ax2.set_title("per-channel temporal share, all layers", fontsize=10)
    fig.tight_layout()
    from pkg_video.engine.infer import save_figure

    save_figure(fig, out_png, dpi=90)
    plt.close(fig)
