"""grounding-data: ``check`` an official-format dataset folder, ``make-fake`` a tiny one, or ``convert`` a split
to the moment_detr / QVHighlights jsonl layout."""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

from pkg_grounding.config import DataConfig
from pkg_grounding.data.dataset import Features, read_split
from pkg_grounding.data.didemo import SPLIT_FILES as DIDEMO_FILES
from pkg_grounding.data.fake import write_fake_charades, write_fake_didemo, write_fake_qvhighlights
from pkg_grounding.data.qvhighlights import SPLIT_FILES as QVH_FILES
from pkg_grounding.data.qvhighlights import write_qvhighlights
from pkg_shared.cli import entrypoint
from pkg_shared.errors import DataFormatError, PkgError

EPILOG = """examples:
  grounding-data make-fake --dataset charades_sta --out fake_charades
  grounding-data check --dataset charades_sta --root data/Charades-STA --features vgg_rgb_features.hdf5
  grounding-data check --dataset didemo --root data/DiDeMo --features average_fc7.h5
  grounding-data check --dataset qvhighlights --root moment_detr/data --features ../features/slowfast_features
  grounding-data convert --dataset charades_sta --root data/Charades-STA --split test --out charades_test.jsonl
"""
DATASETS = ["charades_sta", "didemo", "qvhighlights"]


def _detect(root: pathlib.Path) -> str:
    if any((root / f).is_file() for f in DIDEMO_FILES.values()):
        return "didemo"
    if any((root / f).is_file() for f in QVH_FILES.values()):
        return "qvhighlights"
    return "charades_sta"


def check(args: argparse.Namespace) -> int:
    root = pathlib.Path(args.root)
    if not root.is_dir():
        raise DataFormatError(root, "dataset folder not found")
    dataset = args.dataset or _detect(root)
    cfg = DataConfig(dataset=dataset, root=str(root), features=args.features or "", on_missing="skip",
                     val_fraction=0.0)
    feats = Features(cfg) if args.features else None
    splits = ("train", "test") if dataset == "charades_sta" else ("train", "val", "test")
    out, problems = {"dataset": dataset, "splits": {}}, 0
    for split in splits:
        try:
            queries, rep = read_split(cfg, split)
        except DataFormatError as exc:
            out["splits"][split] = {"error": str(exc)}
            problems += 1
            continue
        if feats is not None:
            feats.filter(queries, rep)
        d = rep.as_dict()
        labelled = [q for q in queries if q.gt]
        if queries:
            d["mean_duration_s"] = round(sum(q.duration for q in queries) / len(queries), 3)
            d["labelled_queries"] = len(labelled)
        if labelled:
            lens = [e - s for q in labelled for s, e in q.gt]
            d["mean_window_s"] = round(sum(lens) / len(lens), 3)
            if dataset == "qvhighlights":
                d["windows_per_query"] = sorted({len(q.gt) for q in labelled})
                d["with_saliency"] = sum(bool(q.saliency) for q in labelled)
            if dataset == "didemo":
                d["annotators_per_query"] = sorted({len(q.times) for q in queries})
                d["num_segments"] = {n: sum(q.num_segments == n for q in queries) for n in (5, 6)}
        problems += len(rep.problems) + len(rep.missing_features) + rep.missing_duration
        out["splits"][split] = d
    out["problems"] = problems
    print(json.dumps(out, indent=2))
    for split, d in out["splits"].items():
        for p in d.get("problems", [])[:50]:
            print(f"{split}: {p}", file=sys.stderr)
    return 1 if problems and args.strict else 0


def convert(args: argparse.Namespace) -> int:
    cfg = DataConfig(dataset=args.dataset, root=str(args.root), val_fraction=0.0, on_missing="skip")
    queries, rep = read_split(cfg, args.split)
    n = write_qvhighlights(args.out, queries)
    print(json.dumps({"out": str(args.out), "queries": n, "layout": "moment_detr jsonl",
                      "dropped": rep.dropped, "clipped": rep.clipped}))
    return 0


def make_fake(args: argparse.Namespace) -> int:
    if args.dataset == "didemo":
        res = write_fake_didemo(args.out, videos=args.videos, seed=args.seed)
    elif args.dataset == "qvhighlights":
        res = write_fake_qvhighlights(args.out, videos=args.videos, seed=args.seed)
    else:
        res = write_fake_charades(args.out, videos=args.videos, seed=args.seed)
    print(json.dumps({"out": str(args.out), "dataset": args.dataset, **res}))
    return 0


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="grounding-data", description=__doc__, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="per-split statistics and every format problem found")
    c.add_argument("--root", required=True, help="folder with the official annotation files")
    c.add_argument("--dataset", choices=DATASETS, help="default: guessed from the file names")
    c.add_argument("--features", help="feature file/folder (relative to --root) to check for missing videos")
    c.add_argument("--strict", action="store_true", help="exit 1 when a problem was found")
    f = sub.add_parser("make-fake", help="write a tiny dataset in exactly the official format")
    f.add_argument("--out", required=True, type=pathlib.Path)
    f.add_argument("--dataset", choices=DATASETS, default="charades_sta")
    f.add_argument("--videos", type=int, default=24)
    f.add_argument("--seed", type=int, default=0)
    v = sub.add_parser("convert", help="write one split in the moment_detr / QVHighlights jsonl layout")
    v.add_argument("--root", required=True, help="folder with the official annotation files")
    v.add_argument("--dataset", choices=DATASETS, required=True)
    v.add_argument("--split", default="test")
    v.add_argument("--out", required=True, type=pathlib.Path, help="output .jsonl")
    args = p.parse_args(argv)
    if args.cmd == "make-fake" and args.videos < 4:
        raise PkgError("--videos must be at least 4")
    return {"check": check, "make-fake": make_fake, "convert": convert}[args.cmd](args)
