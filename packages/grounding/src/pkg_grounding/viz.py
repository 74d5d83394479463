"""Timeline picture: per-step scores over sampled frames, top moments and the ground truth (matplotlib Agg)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np


def plot_timeline(path: str | os.PathLike[str], inside: Sequence[float], duration: float,
                  windows: Sequence[Sequence[float]], query: str, gt: Sequence[float] | None = None,
                  frames: np.ndarray | None = None, frame_times: Sequence[float] | None = None) -> str:
    """Write a PNG; ``frames`` (K, H, W, 3) uint8 are shown as a film strip above the curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pkg_shared.fsutil import atomic_open

    has_frames = frames is not None and len(frames) > 0
    fig = plt.figure(figsize=(10, 4.6 if has_frames else 3.2), dpi=110)
    if has_frames:
        k = len(frames)
        for i, f in enumerate(frames):
            ax = fig.add_axes([0.06 + i * 0.9 / k, 0.64, 0.9 / k - 0.005, 0.3])
            ax.imshow(f)
            ax.set_axis_off()
            if frame_times is not None:
                ax.set_title(f"{frame_times[i]:.1f}s", fontsize=7)
        ax = fig.add_axes([0.06, 0.13, 0.9, 0.45])
    else:
        ax = fig.add_axes([0.06, 0.16, 0.9, 0.7])
    inside = np.asarray(inside, dtype=float)
    t = (np.arange(len(inside)) + 0.5) * duration / len(inside)
    ax.plot(t, inside, color="tab:blue", lw=1.8, label="inside probability per step")
    colors = ["tab:red", "tab:orange", "tab:olive", "tab:purple", "tab:brown"]
    for r, w in enumerate(list(windows)[:5]):
        ax.axvspan(w[0], w[1], ymin=0.01 + 0.07 * r, ymax=0.07 + 0.07 * r, color=colors[r % 5], alpha=0.85,
                   label=f"#{r + 1} {w[0]:.1f}-{w[1]:.1f}s" if r < 3 else None)
    if gt is not None:
        ax.axvspan(gt[0], gt[1], ymin=0.9, ymax=1.0, color="tab:green", alpha=0.8,
                   label=f"ground truth {gt[0]:.1f}-{gt[1]:.1f}s")
    ax.set_xlim(0, duration)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("time (s)")
    ax.legend(fontsize=7, loc="center right", framealpha=0.8)
    fig.suptitle(f'"{query}"', fontsize=10, y=0.995 if has_frames else 0.97)
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)
    return str(path)
