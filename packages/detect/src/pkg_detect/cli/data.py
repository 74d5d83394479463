"""``detect-data``: check datasets, extract Caltech frames, write tiny fake datasets."""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

from pkg_shared.cli import entrypoint
from pkg_shared.errors import PkgError

EPILOG = """examples:
  detect-data make-fake --dataset all --out fake/
  detect-data check --dataset caltech --root fake/caltech
  detect-data extract-caltech --root fake/caltech --out fake/extracted --every 30 --sets 6-10
"""


def _sets(text: str) -> tuple[int, ...]:
    out = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += list(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return tuple(out)


def _check(dataset: str, root) -> dict:
    from pkg_shared.errors import DataFormatError

    if dataset == "caltech":
        from pkg_detect.data import caltech

        return caltech.check(root)
    problems, stats = [], {}
    if dataset == "citypersons":
        from pkg_detect.data import citypersons as cp

        for split in ("train", "val"):
            try:
                imgs = cp.read_split(root, split)
                labels: dict[str, int] = {}
                for im in imgs:
                    for o in im.objects:
                        labels[o.label] = labels.get(o.label, 0) + 1
                stats[split] = {"images": len(imgs), "labels": labels}
            except DataFormatError as exc:
                stats[split] = {"absent": str(exc)}
        if not any("images" in v for v in stats.values()):
            problems.append(f"{root}: no CityPersons annotation split (gtBboxCityPersons/train or val) found")
        released = pathlib.Path(root) / "val_gt.json"
        if released.is_file() and "images" in stats.get("val", {}):
            try:
                ours = cp.eval_gt(cp.read_split(root, "val"))
                theirs = json.loads(released.read_text(encoding="utf-8"))
                diffs = cp.compare_eval_gt(ours, theirs, str(released))
                stats["val_gt.json"] = {"images": len(theirs.get("images", [])),
                                        "annotations": len(theirs.get("annotations", [])), "differences": len(diffs)}
                problems += diffs
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                problems.append(f"{released}: not a COCO-like evaluation GT ({type(exc).__name__}: {exc})")
    else:
        from pkg_detect.data import kitti

        try:
            frames = kitti.list_frames(root)
            labels = {}
            for fr in frames:
                try:
                    for o in kitti.read_label(f"{root}/training/label_2/{fr}.txt"):
                        labels[o.type] = labels.get(o.type, 0) + 1
                except DataFormatError as exc:
                    problems.append(str(exc))
            stats["training"] = {"images": len(frames), "labels": labels}
        except DataFormatError as exc:
            problems.append(str(exc))
    return {"stats": stats, "problems": problems}


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="detect-data", description="Dataset tools for pkg-detect.", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="per-split statistics and format problems")
    c.add_argument("--dataset", choices=["caltech", "citypersons", "kitti"], default="caltech")
    c.add_argument("--root", required=True)
    e = sub.add_parser("extract-caltech", help="frames every k as JPEG + bbGt text (toolbox dbExtract naming)")
    e.add_argument("--root", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--every", type=int, default=30)
    e.add_argument("--sets", default="6-10", help="e.g. 0-5 or 6-10 or 0,6")
    m = sub.add_parser("make-fake", help="tiny synthetic dataset in the official formats")
    m.add_argument("--dataset", choices=["caltech", "citypersons", "kitti", "all"], default="all")
    m.add_argument("--out", required=True)
    m.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.cmd == "check":
        rep = _check(args.dataset, args.root)
        print(json.dumps(rep["stats"], indent=2))
        for prob in rep["problems"]:
            print(f"problem: {prob}")
        print(f"{len(rep['problems'])} problem(s)")
        return 1 if rep["problems"] else 0
    if args.cmd == "extract-caltech":
        from pkg_detect.data import caltech
        from pkg_shared.logging import progress

        if args.every < 1:
            raise PkgError("--every must be >= 1")
        n = caltech.extract(args.root, args.out, args.every, _sets(args.sets), progress=lambda x: progress(x, desc="extract"))
        print(f"wrote {n} frames to {args.out}")
        return 0
    from pkg_detect.data import fake

    todo = ["caltech", "citypersons", "kitti"] if args.dataset == "all" else [args.dataset]
    for name in todo:
        print(f"writing fake {name} ...", file=sys.stderr)
        getattr(fake, f"make_{name}")(f"{args.out}/{name}" if args.dataset == "all" else args.out, seed=args.seed)
    print(f"done: {args.out}")
    return 0
