"""reid-data: check an official dataset folder, or write a tiny fake one in the official format.

Examples:
  reid-data check --dataset market1501 --root /data/Market-1501-v15.09.15
  reid-data check --dataset market1501 --root /data/Market-1501-v15.09.15 --distractors   (+500k images/)
  reid-data check --dataset cuhk03 --root /data/cuhk03 --cuhk03-version detected --cuhk03-protocol classic
  reid-data make-fake --dataset market1501 --out /tmp/fake_market --ids 12 --cams 3
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

from pkg_reid.data import cuhk03, dukemtmc, market1501
from pkg_reid.data.common import split_stats
from pkg_reid.data.fake import make_fake
from pkg_shared.cli import entrypoint

DATASETS = ("market1501", "dukemtmcreid", "cuhk03")


def _check(args) -> int:
    gt = None
    if args.dataset == "market1501":
        s = market1501.read(args.root, collect_problems=True, distractors=args.distractors)
        if (market1501.find_root(args.root) / "gt_query").is_dir():
            gt, gt_problems = market1501.cross_check_gt_query(args.root, s)
            s.problems.extend(gt_problems)
    elif args.dataset == "dukemtmcreid":
        s = dukemtmc.read(args.root, collect_problems=True)
    else:
        s = cuhk03.read(args.root, version=args.cuhk03_version, protocol=args.cuhk03_protocol, split=args.split,
                        collect_problems=True)
    stats = {name: split_stats(items) for name, items in (("train", s.train), ("query", s.query), ("gallery", s.gallery))}
    print(f"{s.name}: {args.root}")
    print(f"{'split':<8} {'images':>7} {'ids':>6} {'cams':>5} {'junk(-1)':>9} {'distr(0)':>9}")
    for name, st in stats.items():
        print(f"{name:<8} {st['images']:>7} {st['ids']:>6} {st['cameras']:>5} {st['junk(-1)']:>9} {st['distractor(0)']:>9}")
    q_ids = {x.pid for x in s.query}
    missing = sorted(q_ids - {x.pid for x in s.gallery})
    if missing:
        s.problems.append(f"{len(missing)} query identities have no gallery image (e.g. {missing[:5]})")
    if gt is not None and gt["checked"]:
        print(f"gt_query cross-check: {gt['queries']} queries; good lists differ for {gt['good_differs']}, "
              f"junk lists for {gt['junk_differs']}")
    for p in s.problems:
        print(f"problem: {p}")
    print(f"{len(s.problems)} problem(s) found")
    if args.json:
        print(json.dumps({"dataset": s.name, "splits": stats, "gt_query": gt, "problems": s.problems}))
    return 1 if s.problems else 0


def _fake(args) -> int:
    kw = {}
    if args.dataset in ("market1501", "dukemtmcreid"):
        kw = {"ids": args.ids, "cams": args.cams, "per_cam": args.per_cam, "seed": args.seed}
    else:
        kw = {"persons_per_pair": args.ids, "seed": args.seed}
    base = make_fake(args.dataset, args.out, **kw)
    print(f"wrote fake {args.dataset} to {base}")
    return 0


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="reid-data", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="per-split statistics and every format problem found")
    c.add_argument("--dataset", choices=DATASETS, required=True)
    c.add_argument("--root", type=pathlib.Path, required=True)
    c.add_argument("--cuhk03-version", choices=("labeled", "detected"), default="labeled")
    c.add_argument("--cuhk03-protocol", choices=("new", "classic"), default="new")
    c.add_argument("--split", type=int, default=0, help="CUHK03 classic split index (0-19)")
    c.add_argument("--distractors", action="store_true", help="Market-1501: add the 500k images/ folder to the gallery")
    c.add_argument("--json", action="store_true", help="also print the statistics as one JSON line")
    f = sub.add_parser("make-fake", help="write a tiny dataset in the exact official format")
    f.add_argument("--dataset", choices=DATASETS, required=True)
    f.add_argument("--out", type=pathlib.Path, required=True)
    f.add_argument("--ids", type=int, default=12, help="identities per split (CUHK03: persons per camera pair)")
    f.add_argument("--cams", type=int, default=3)
    f.add_argument("--per-cam", type=int, default=2, help="images per identity and camera")
    f.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    return _check(args) if args.cmd == "check" else _fake(args)


if __name__ == "__main__":
    sys.exit(main())
