"""Pictures (matplotlib, Agg backend): the tagging heat map of ``audio-tag --heatmap`` and the demo."""

from __future__ import annotations

import pathlib

import numpy as np

from pkg_shared.errors import require


def _plt():
    mpl = require("matplotlib", "vis", "pkg-audio")  # core dependency; lazy for start-up time
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | pathlib.Path) -> pathlib.Path:
    from pkg_shared.fsutil import atomic_open

    path = pathlib.Path(path)
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110, bbox_inches="tight")
    return path


def plot_tagging(result, names: list[str], path: str | pathlib.Path, top: int = 8, title: str = "") -> pathlib.Path:
    """Top classes: per-window scores (sliding windows) and, when available, the frame-level
    attention x classifier map of the finest attention level (a sound-event-detection view)."""
    plt = _plt()
    order = np.argsort(-result.clip_scores)[:top]
    labels = [f"{names[i][:28]} ({result.clip_scores[i]:.2f})" for i in order]
    rows = 2 if result.frame_map is not None else 1
    fig, axes = plt.subplots(rows, 1, figsize=(9, 2.2 + 1.6 * rows + 0.18 * top), squeeze=False, layout="constrained")
    ax = axes[0, 0]
    win = result.window_scores[:, order].T
    step = result.window_starts[1] - result.window_starts[0] if len(result.window_starts) > 1 else result.duration_s
    im = ax.imshow(win, aspect="auto", origin="upper", vmin=0, vmax=1, cmap="magma",
                   extent=(result.window_starts[0], result.window_starts[-1] + step, top - 0.5, -0.5))
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel("window start (s)")
    ax.set_title(title or "clip probability per sliding window")
    fig.colorbar(im, ax=ax, fraction=0.03)
    if result.frame_map is not None:
        ax2 = axes[1, 0]
        fm = result.frame_map[order]
        fm = fm / (fm.max(axis=1, keepdims=True) + 1e-9)
        im2 = ax2.imshow(fm, aspect="auto", origin="upper", cmap="viridis",
                         extent=(0, fm.shape[1] * result.frame_hop_s, top - 0.5, -0.5))
        ax2.set_yticks(range(len(order)))
        ax2.set_yticklabels([names[i][:28] for i in order], fontsize=8)
        ax2.set_xlabel("time (s)")
        ax2.set_title("frame-level attention x classifier (normalised per class)")
        fig.colorbar(im2, ax=ax2, fraction=0.03)
    out = _save(fig, path)
    plt.close(fig)
    return out
