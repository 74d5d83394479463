"""skeleton-data: check a dataset folder, write a tiny fake dataset, convert to peers' formats."""

from __future__ import annotations

import argparse
import json
import pathlib

from pkg_shared.cli import entrypoint
from pkg_shared.errors import ConfigError, PkgError

EXAMPLE = """examples:
  skeleton-data make-fake --out fake/                      # NTU + SBU + PKU-MMD in official layouts
  skeleton-data check --root fake/nturgb+d_skeletons --dataset ntu60_xsub
  skeleton-data check --root /data/PKU-MMD --dataset pkummd_xsub
  skeleton-data convert --root fake/nturgb+d_skeletons --dataset ntu60_xsub --to pyskl --out ntu60_3d.pkl
  skeleton-data convert --root fake/nturgb+d_skeletons --dataset ntu60_xsub --to stgcn --out xsub/
"""
DATASETS = ("ntu60_xsub", "ntu60_xview", "ntu120_xsub", "ntu120_xset", "sbu", "pkummd_xsub", "pkummd_xview",
            "pyskl", "stgcn")


def _data_cfg(args):
    from pkg_shared.config import from_dict
    from pkg_skeleton.config import DataConfig

    d = {"dataset": args.dataset, "root": str(args.root), "body_select": args.body_select, "centring": "none"}
    if args.missing_list:
        d["missing_list"] = str(args.missing_list)
    if getattr(args, "fold", None):
        d["sbu_test_fold"] = args.fold
    return from_dict(DataConfig, d)


def _check(args) -> int:
    from pkg_skeleton.data.dataset import load_split

    cfg = _data_cfg(args)
    problems, stats = [], {}
    for split in ("train", "test"):
        try:
            samples, rep = load_split(cfg, split, collect=True)
            stats[split] = rep.summary()
            problems += rep.problems
            if rep.skipped_missing_list:
                print(f"{split}: skipped {len(rep.skipped_missing_list)} file(s) of the missing-skeleton list")
            for name in rep.skipped_no_body:
                problems.append(f"{name}: no body in any frame (skipped)")
        except PkgError as exc:
            problems.append(str(exc))
    for split, s in stats.items():
        print(f"{split}: {s['samples']} samples, {s['classes']} classes, frames {s['frames_min']}..{s['frames_max']}"
              + (f", up to {s['max_bodies']} bodies per frame" if s["max_bodies"] else ""))
    for pr in problems:
        print(f"problem: {pr}")
    if args.json:
        print(json.dumps({"stats": stats, "problems": problems}, indent=2))
    if not stats:
        raise PkgError(problems[0] if problems else "no data")
    return 1 if problems else 0


def _fake(args) -> int:
    from pkg_skeleton.data import fake

    out = args.out
    kinds = ("ntu", "sbu", "pkummd") if args.kind == "all" else (args.kind,)
    if "ntu" in kinds:
        print(f"wrote {fake.make_fake_ntu(out, num_classes=args.classes, seed=args.seed)}")
    if "sbu" in kinds:
        print(f"wrote {fake.make_fake_sbu(out / 'SBU', seed=args.seed)}")
    if "pkummd" in kinds:
        print(f"wrote {fake.make_fake_pkummd(out / 'PKU-MMD', num_classes=args.classes, seed=args.seed)}")
    return 0


def _convert(args) -> int:
    from pkg_skeleton.data import interop
    from pkg_skeleton.data.dataset import load_split

    cfg = _data_cfg(args)
    tr, _ = load_split(cfg, "train")
    te, _ = load_split(cfg, "test")
    bench = args.dataset.split("_")[-1] if "_" in args.dataset else "default"
    if args.to == "pyskl":
        if args.out.suffix != ".pkl":
            raise ConfigError(f"{args.out}: the pyskl output is a .pkl file")
        split = {f"{bench}_train": [s[0] for s in tr], f"{bench}_val": [s[0] for s in te]}
        interop.write_pyskl(args.out, split, tr + te)
    else:
        interop.write_stgcn(args.out, "train", tr)
        interop.write_stgcn(args.out, "val", te)
    print(f"wrote {args.out}: {len(tr)} train + {len(te)} test samples")
    return 0


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="skeleton-data", description=__doc__, epilog=EXAMPLE,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, helptext in (("check", "per-split statistics and every format problem found"),
                           ("convert", "write the split(s) as a pyskl pickle or ST-GCN npy/pkl folder")):
        s = sub.add_parser(name, help=helptext, epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
        s.add_argument("--root", type=pathlib.Path, required=True, help="dataset folder (or pickle file)")
        s.add_argument("--dataset", choices=DATASETS, default="ntu60_xsub")
        s.add_argument("--body-select", choices=("file_order", "denoise"), default="file_order")
        s.add_argument("--missing-list", type=pathlib.Path, help="missing-skeleton list (default: shipped NTU-60)")
        s.add_argument("--fold", type=int, help="SBU test fold 1..5")
        if name == "check":
            s.add_argument("--json", action="store_true", help="also print the statistics as JSON")
        else:
            s.add_argument("--to", choices=("pyskl", "stgcn"), required=True)
            s.add_argument("--out", type=pathlib.Path, required=True)
    f = sub.add_parser("make-fake", help="write a tiny dataset in the official formats", epilog=EXAMPLE,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    f.add_argument("--out", type=pathlib.Path, required=True)
    f.add_argument("--kind", choices=("all", "ntu", "sbu", "pkummd"), default="all")
    f.add_argument("--classes", type=int, default=8, help="number of procedural action classes (<= 16)")
    f.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    return {"check": _check, "make-fake": _fake, "convert": _convert}[args.cmd](args)


if __name__ == "__main__":
    raise SystemExit(main())
