"""Plots (matplotlib, Agg backend): dataset accuracy vs params per depth, per-stage layer counts of
the optimum vs depth, and a search's pick against the dataset ranking."""

from __future__ import annotations

import pathlib
from collections.abc import Mapping

from pkg_nas.bench.analysis import by_depth
from pkg_nas.bench.records import Entry
from pkg_nas.space import LayerAssignment


def _plt():
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: pathlib.Path) -> pathlib.Path:
    import io

    from pkg_shared.fsutil import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())
    return path


def plot_bench(entries: Mapping[LayerAssignment, Entry], path: str | pathlib.Path) -> pathlib.Path:
    plt = _plt()
    depths = by_depth(entries)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for d, es in depths.items():
        ax1.scatter([e.params / 1e6 for e in es], [e.mean for e in es], s=14, label=f"L={d}")
        ax1.scatter([es[0].params / 1e6], [es[0].mean], s=60, marker="*", color="k")
    ax1.set_xlabel("parameters (M)")
    ax1.set_ylabel("top-1 (%)")
    ax1.set_title("accuracy vs params (star: a*_L)")
    ax1.legend(fontsize=7)
    ds = list(depths)
    stages = len(next(iter(entries)))
    for s in range(stages):
        ax2.plot(ds, [depths[d][0].assignment[s] for d in ds], marker="o", label=f"stage {s + 1}")
    ax2.set_xlabel("depth L")
    ax2.set_ylabel("blocks in stage")
    ax2.set_title("layer assignment of the optimum a*_L")
    ax2.legend(fontsize=7)
    out = _save(fig, pathlib.Path(path))
    plt.close(fig)
    return out


def plot_search_vs_bench(results: Mapping[str, dict], entries: Mapping[LayerAssignment, Entry],
                         path: str | pathlib.Path) -> pathlib.Path:
    """Left: every assignment of the final depth ranked by dataset accuracy, with each method's pick.
    Right: supernet score vs dataset accuracy of the candidates each method scored."""
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    depth = max(r["best_depth"] for r in results.values())
    pool = by_depth(entries).get(depth, [])
    ax1.bar(range(len(pool)), [e.mean for e in pool], color="0.75")
    ax1.set_xticks(range(len(pool)))
    ax1.set_xticklabels([str(e.assignment) for e in pool], rotation=90, fontsize=6)
    marks = ["v", "^", "s", "D"]
    for k, (name, r) in enumerate(results.items()):
        pick = LayerAssignment.parse(r["best"])
        idx = [i for i, e in enumerate(pool) if e.assignment == pick]
        if idx:
            ax1.scatter(idx, [pool[idx[0]].mean], marker=marks[k % 4], s=80, zorder=3,
                        label=f"{name} pick {pick} ({r['evaluations']} evals)")
        cands = [c for c in r.get("candidates", []) if LayerAssignment.parse(c["assignment"]) in entries]
        ax2.scatter([entries[LayerAssignment.parse(c["assignment"])].mean for c in cands], [c["acc"] for c in cands],
                    marker=marks[k % 4], s=20, label=name)
    ax1.set_title(f"architecture dataset at depth {depth} (ranked)")
    ax1.set_ylabel("dataset top-1 (%)")
    ax1.legend(fontsize=7)
    ax2.set_xlabel("dataset top-1 (%)")
    ax2.set_ylabel("supernet score after BN recal (%)")
    ax2.set_title("supernet scores of scored candidates")
    ax2.legend(fontsize=7)
    out = _save(fig, pathlib.Path(path))
    plt.close(fig)
    return out
