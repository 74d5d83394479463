"""reid-ghis: inspect the Global Hard Identity Search of a run (its last refresh, from last.pt).

Writes OUT/hard_pairs.csv (pid_a, pid_b, distance) and OUT/hard_pairs.png (image sheet), and prints
a JSON summary (identities, neighbours per identity, mean nearest-identity distance).
Examples:
  reid-ghis inspect --run runs/litm --top 50 --out runs/litm/ghis
  reid-ghis inspect --run runs/litm --root /data/Market-1501-v15.09.15 --top 20 --out ghis/
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

from pkg_shared.cli import entrypoint


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="reid-ghis", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("inspect", help="hardest identity pairs of a run's last GHIS search (CSV + image sheet)")
    q.add_argument("--run", type=pathlib.Path, required=True)
    q.add_argument("--root", help="dataset root (default: the run's data.root)")
    q.add_argument("--top", type=int, default=50)
    q.add_argument("--out", type=pathlib.Path, required=True, help="output folder")
    args = p.parse_args(argv)
    from pkg_reid.cli.vis import hard_pairs
    from pkg_reid.vis.ranking import pair_sheet
    from pkg_shared.fsutil import atomic_write_text

    rows, csv, summary = hard_pairs(args.run, args.root, args.top)
    args.out.mkdir(parents=True, exist_ok=True)
    pair_sheet(rows, args.out / "hard_pairs.png")  # reads the images first: a bad one leaves nothing behind
    atomic_write_text(args.out / "hard_pairs.csv", csv)
    print(json.dumps(summary | {"csv": str(args.out / "hard_pairs.csv"), "png": str(args.out / "hard_pairs.png")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
