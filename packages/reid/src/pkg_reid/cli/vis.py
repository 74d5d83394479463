"""reid-vis: ranked-list montages and hard-identity pair sheets.

Examples:
  reid-vis rank --features runs/litm/features.npz --topk 10 --out ranks.png [--queries 0 5 9]
  reid-vis pairs --run runs/litm --out pairs.png --top 8   (hardest pairs from the last GHIS search)
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from pkg_shared.cli import entrypoint
from pkg_shared.errors import ConfigError, DataFormatError


def _rank(args) -> int:
    from pkg_reid.engine.evaluate import load_features
    from pkg_reid.eval.rank import distance
    from pkg_reid.vis.ranking import ranked_list_montage

    f = load_features(args.features)
    if "q_paths" not in f:
        raise DataFormatError(args.features, "no image paths stored (q_paths/g_paths); use a reid-extract .npz")
    dist = distance(f["qf"], f["gf"])
    qs = args.queries if args.queries else list(range(min(args.num_queries, len(f["qf"]))))
    if any(q < 0 or q >= len(f["qf"]) for q in qs):
        raise ConfigError(f"--queries must be within 0..{len(f['qf']) - 1}")
    ranked_list_montage(dist, f["q_paths"], f["g_paths"], f["q_pids"], f["q_camids"], f["g_pids"], f["g_camids"],
                        args.out, qs, args.topk)
    print(f"wrote {args.out}")
    return 0


def hard_pairs(run: pathlib.Path, root: str | None, top: int) -> tuple[list[tuple], str, dict]:
    """(pair-sheet rows, CSV text, summary) of the hardest identity pairs of a run's last GHIS search.

    With ``ghis.metric=center`` the pairs are recomputed from the stored identity centres, so they are
    exact for any ``top``; with ``min_pair`` they come from the stored neighbour lists (exact up to
    the list length k)."""
    import torch

    from pkg_reid.config import Config
    from pkg_reid.data.dataset import load_splits
    from pkg_reid.ghis.search import GhisResult, _torch_center
    from pkg_shared.config import from_dict
    from pkg_shared.engine import load_checkpoint

    ckpt = pathlib.Path(run) / "last.pt"
    ck = load_checkpoint(ckpt)
    res = GhisResult.from_state(ck)
    if res is None:
        raise DataFormatError(ckpt, "no GHIS search stored (GHIS off or still warming up)")
    if top < 1:
        raise ConfigError(f"--top must be >= 1 (got {top})")
    cfg = from_dict(Config, ck["config"])
    summary = {"identities": len(res.ids), "neighbours_per_identity": int(res.nn_idx.shape[1]),
               "metric": cfg.ghis.metric, "mean_nearest_distance": float(res.nn_dist[:, 0].mean())}
    if cfg.ghis.metric == "center" and top > res.nn_idx.shape[1]:
        k = min(top, len(res.ids) - 1)
        nn_i, nn_v = _torch_center(torch.from_numpy(res.centres).double(), k, 1024)
        res = GhisResult(res.ids, nn_i, nn_v, res.centres)
    splits = load_splits(cfg.data, root)
    labels = splits.train_labels
    first = {}
    for s in splits.train:
        first.setdefault(labels[s.pid], s)
    pairs = res.top_pairs(top)
    rows = [(first[a].path, first[b].path, f"{first[a].pid} vs {first[b].pid}\nd={d:.3f}") for a, b, d in pairs]
    csv = f"pid_a,pid_b,{cfg.ghis.metric}_distance\n" + "".join(
        f"{first[a].pid},{first[b].pid},{d:.6f}\n" for a, b, d in pairs)
    return rows, csv, summary | {"pairs": len(pairs)}


def _pairs(args) -> int:
    from pkg_reid.vis.ranking import pair_sheet
    from pkg_shared.fsutil import atomic_write_text

    rows, csv, _ = hard_pairs(args.run, args.root, args.top)
    pair_sheet(rows, args.out)  # before the CSV: an unreadable image leaves nothing behind
    if args.csv:
        atomic_write_text(args.csv, csv)
    print(f"wrote {args.out}")
    return 0


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="reid-vis", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("rank", help="ranked-list montage from a features .npz")
    r.add_argument("--features", type=pathlib.Path, required=True)
    r.add_argument("--out", type=pathlib.Path, required=True, help="PNG file")
    r.add_argument("--topk", type=int, default=10)
    r.add_argument("--queries", type=int, nargs="*", help="query indices (default: the first --num-queries)")
    r.add_argument("--num-queries", type=int, default=4)
    q = sub.add_parser("pairs", help="hardest identity pairs of a run's last GHIS search")
    q.add_argument("--run", type=pathlib.Path, required=True)
    q.add_argument("--root", help="dataset root (default: the run's data.root)")
    q.add_argument("--out", type=pathlib.Path, required=True, help="PNG file")
    q.add_argument("--csv", type=pathlib.Path, help="also write the pairs as CSV")
    q.add_argument("--top", type=int, default=8)
    args = p.parse_args(argv)
    return _rank(args) if args.cmd == "rank" else _pairs(args)


if __name__ == "__main__":
    sys.exit(main())
