"""Pictures: a frame grid of a skeleton sequence and a detection timeline (matplotlib, Agg)."""

from __future__ import annotations

import pathlib

import numpy as np

from pkg_shared.errors import require
from pkg_shared.fsutil import atomic_open
from pkg_skeleton.models.hcn import NTU_BONES

SBU_EDGES = ((0, 1), (1, 2), (1, 3), (3, 4), (4, 5), (1, 6), (6, 7), (7, 8), (2, 9), (9, 10), (10, 11),
             (2, 12), (12, 13), (13, 14))


def _plt():
    mpl = require("matplotlib", "viz", "pkg-skeleton")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | pathlib.Path) -> None:
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=100, bbox_inches="tight")


def frame_grid(a: np.ndarray, path: str | pathlib.Path, frames: int = 8, title: str = "") -> None:
    """x-y projection of ``frames`` evenly spaced frames of (M, F, V, C); persons in two colours."""
    plt = _plt()
    m, f, v, _ = a.shape
    edges = [(c - 1, p - 1) for c, p in NTU_BONES] if v == 25 else (SBU_EDGES if v == 15 else [])
    idx = np.linspace(0, f - 1, min(frames, f)).round().astype(int)
    fig, axes = plt.subplots(1, len(idx), figsize=(2 * len(idx), 2.8), squeeze=False)
    pts = a[..., :2][np.abs(a).sum(-1) > 0]
    lo, hi = (pts.min(0), pts.max(0)) if len(pts) else (np.zeros(2), np.ones(2))
    for ax, t in zip(axes[0], idx):
        for p, col in zip(range(m), ("tab:blue", "tab:red", "tab:green", "tab:orange")):
            j = a[p, t]
            if not np.abs(j).sum():
                continue
            for c, q in edges:
                ax.plot([j[c, 0], j[q, 0]], [j[c, 1], j[q, 1]], color=col, lw=1.5)
            ax.scatter(j[:, 0], j[:, 1], s=4, color=col)
        ax.set_xlim(lo[0] - 0.1, hi[0] + 0.1)
        ax.set_ylim(lo[1] - 0.1, hi[1] + 0.1)
        ax.set_aspect("equal")
        ax.set_title(f"frame {t}", fontsize=8)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    _save(fig, path)
    plt.close(fig)


def timeline(gts: dict, dets: dict, path: str | pathlib.Path, min_score: float = 0.3, max_videos: int = 8) -> None:
    """Per video: ground-truth intervals (top row) against detections with score >= min_score (bottom)."""
    plt = _plt()
    vids = sorted(set(gts) | set(dets))[:max_videos]
    fig, axes = plt.subplots(len(vids), 1, figsize=(11, 1.2 * len(vids) + 0.6), squeeze=False)
    cmap = plt.get_cmap("tab20")
    for ax, vid in zip(axes[:, 0], vids):
        for row, items in ((1, gts.get(vid, [])), (0, [d for d in dets.get(vid, []) if d[3] >= min_score])):
            for lab, s, e, score in items:
                alpha = 1.0 if row == 1 else max(0.3, float(score))
                ax.broken_barh([(s, e - s + 1)], (row + 0.1, 0.8), color=cmap(int(lab) % 20), alpha=alpha)
                ax.text(s, row + 0.5, str(int(lab)), fontsize=7, va="center")
        ax.set_yticks([0.5, 1.5], ["pred", "GT"])
        ax.set_ylim(0, 2)
        ax.set_ylabel(vid, rotation=0, ha="right", va="center", fontsize=8)
    axes[-1, 0].set_xlabel("frame")
    fig.suptitle(f"detections (score >= {min_score}) against ground truth; numbers are labels", fontsize=10)
    _save(fig, path)
    plt.close(fig)
