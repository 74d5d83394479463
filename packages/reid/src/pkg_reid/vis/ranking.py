"""Pictures people look at: ranked-list montages and hard-identity pair sheets (matplotlib Agg)."""

from __future__ import annotations

import io
import pathlib

import numpy as np

from pkg_shared.fsutil import atomic_write_bytes
from pkg_shared.io.image import read_image

GREEN, RED, GRAY = (0.1, 0.75, 0.2), (0.85, 0.1, 0.1), (0.6, 0.6, 0.6)


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _show(ax, path: str, border, title: str) -> None:
    ax.imshow(read_image(path))
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_edgecolor(border)
        s.set_linewidth(4)
    ax.set_title(title, fontsize=7)


def _save(fig, path: str | pathlib.Path) -> pathlib.Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return pathlib.Path(path)


def ranked_list_montage(dist: np.ndarray, q_paths, g_paths, q_pids, q_cams, g_pids, g_cams, out: str | pathlib.Path,
                        queries: list[int] | None = None, topk: int = 10) -> pathlib.Path:
    """One row per query: the query, then its top-k gallery images (junk removed, stable order),
    framed green for a correct identity and red for a wrong one."""
    plt = _plt()
    queries = list(range(min(4, len(q_paths)))) if queries is None else queries
    topk = min(topk, len(g_paths))
    fig, axes = plt.subplots(len(queries), topk + 1, figsize=(1.0 * (topk + 1), 2.1 * len(queries)), squeeze=False)
    for r, qi in enumerate(queries):
        _show(axes[r, 0], str(q_paths[qi]), GRAY, f"query {q_pids[qi]}")
        order = np.argsort(dist[qi], kind="stable")
        junk = ((g_pids[order] == q_pids[qi]) & (g_cams[order] == q_cams[qi])) | (g_pids[order] == -1)
        order = order[~junk][:topk]
        for c in range(topk):
            ax = axes[r, c + 1]
            if c >= len(order):
                ax.axis("off")
                continue
            gi = order[c]
            ok = g_pids[gi] == q_pids[qi]
            _show(ax, str(g_paths[gi]), GREEN if ok else RED, f"#{c + 1} id {g_pids[gi]}\nd={dist[qi, gi]:.2f}")
    fig.suptitle("ranked lists (green = same identity, red = different)", fontsize=9)
    return _save(fig, out)


def pair_sheet(pairs: list[tuple[str, str, str]], out: str | pathlib.Path, title: str = "hardest identity pairs",
               per_row: int = 4) -> pathlib.Path:
    """A grid of (image of identity a, image of identity b, caption) pairs, ``per_row`` pairs a row."""
    plt = _plt()
    n = max(len(pairs), 1)
    cols = min(per_row, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, 2 * cols, figsize=(1.1 * 2 * cols + 0.2 * cols, 2.3 * rows + 0.4), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for k, (a, b, cap) in enumerate(pairs):
        r, c = divmod(k, cols)
        for j, path in enumerate((a, b)):
            ax = axes[r, 2 * c + j]
            ax.axis("on")
            _show(ax, path, RED, cap.replace("\n", " ") if j == 0 else "")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, out)
