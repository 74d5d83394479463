"""video-data: check an official dataset tree, write a tiny fake one, convert CSVs to file lists, filter videos."""

from __future__ import annotations

import argparse
import pathlib
import sys

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import DataFormatError, PkgError
from pkg_shared.logging import progress

EXAMPLE = """examples:
  video-data make-fake --out fake_k400                      # tiny Kinetics-400 tree (official CSVs + mp4)
  video-data make-fake --dataset mit --out fake_mit         # tiny Moments in Time tree
  video-data check --root /data/k400 --decode               # per-split statistics and every problem found
  video-data prepare --root /data/k400 --split train --out k400_train_list_videos.txt
  video-data check-videos --list k400_train_list_videos.txt --root /data/k400 --out good.txt
"""


def _add(sub, name: str, help: str) -> argparse.ArgumentParser:
    sp = sub.add_parser(name, help=help, description=help)
    make_parser("video-data", help, config=False, out=False, device=False, seed=False, parser=sp)
    return sp


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="video-data", description="Dataset tools for Kinetics-400 and Moments in Time.",
                                epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = _add(sub, "check", "Per-split statistics and format problems of a dataset tree")
    sp.add_argument("--root", required=True, type=pathlib.Path)
    sp.add_argument("--dataset", choices=["kinetics", "mit"], default=None, help="default: detected from the tree")
    sp.add_argument("--annotations", type=pathlib.Path, help="Kinetics CSV folder (default ROOT/annotations)")
    sp.add_argument("--decode", action="store_true", help="also open every video (slow on the full set)")
    sp.add_argument("--backend", choices=["auto", "decord", "pyav", "opencv"], default="auto")
    sp = _add(sub, "make-fake", "Write a tiny dataset in the exact official format")
    sp.add_argument("--out", required=True, type=pathlib.Path)
    sp.add_argument("--dataset", choices=["kinetics", "mit"], default="kinetics")
    sp.add_argument("--classes", type=int, default=8, help="number of motion classes (<= 8, Kinetics only)")
    sp.add_argument("--train-per-class", type=int, default=4)
    sp.add_argument("--val-per-class", type=int, default=2)
    sp.add_argument("--defects", action="store_true", help="Kinetics: add a missing file, an empty mp4, is_cc, a replacement")
    sp.add_argument("--seed", type=int, default=0)
    sp = _add(sub, "prepare", "Official annotations -> MMAction2/PySlowFast list (path label), rows without a file dropped")
    sp.add_argument("--root", required=True, type=pathlib.Path)
    sp.add_argument("--dataset", choices=["kinetics", "mit"], default="kinetics")
    sp.add_argument("--annotations", type=pathlib.Path)
    sp.add_argument("--split", default="train")
    sp.add_argument("--out", required=True, type=pathlib.Path)
    sp.add_argument("--check-decode", action="store_true", help="drop videos the backend cannot open")
    sp.add_argument("--backend", choices=["auto", "decord", "pyav", "opencv"], default="auto")
    sp = _add(sub, "check-videos", "Open every video of a list and write the list of good ones")
    sp.add_argument("--list", required=True, type=pathlib.Path)
    sp.add_argument("--root", required=True, type=pathlib.Path, help="data prefix of the list's paths")
    sp.add_argument("--out", required=True, type=pathlib.Path)
    sp.add_argument("--backend", choices=["auto", "decord", "pyav", "opencv"], default="auto")
    args = p.parse_args(argv)
    return {"check": check, "make-fake": make_fake, "prepare": prepare, "check-videos": check_videos}[args.cmd](args)


def _detect(root: pathlib.Path) -> str:
    if (root / "moments_categories.txt").is_file():
        return "mit"
    if (root / "annotations").is_dir():
        return "kinetics"
    raise DataFormatError(root, "neither a Kinetics tree (annotations/) nor a Moments in Time tree "
                          "(moments_categories.txt); pass --dataset and --annotations")


def _splits(args, dataset: str):
    """Yield (split, samples, classes, report) for each split present."""
    from pkg_video.data import kinetics, mit

    if dataset == "mit":
        for split in ("train", "val"):
            if (args.root / mit.SPLITS[split][0]).is_file():
                yield (split, *mit.build_split(args.root, split))
        return
    ann = args.annotations or args.root / "annotations"
    index = kinetics.index_videos(args.root)
    classes = None
    for split in ("train", "val", "test"):
        try:
            kinetics.find_csv(ann, split)
        except DataFormatError:
            continue
        samples, classes, rep = kinetics.build_split(ann, args.root, split, classes, index)
        d = rep.as_dict()
        d["missing_examples"] = rep.missing[:5]
        yield split, samples, classes, d


def check(args) -> int:
    from pkg_video.data.decode import check_video

    dataset = args.dataset or _detect(args.root)
    problems = 0
    any_split = False
    for split, samples, classes, rep in _splits(args, dataset):
        any_split = True
        line = (f"{split}: {rep['rows']} rows, {rep['found']} videos found, {rep['missing']} missing, "
                f"{len(classes)} classes")
        print(line, flush=True)
        for name in rep.get("missing_examples", []):
            print(f"  missing: {name}")
        problems += rep["missing"]
        for s in samples:
            path = pathlib.Path(s.path)
            if path.stat().st_size == 0:
                print(f"  {path}: video file is empty")
                problems += 1
        if args.decode:
            for s in progress(samples, desc=f"decode {split}"):
                if pathlib.Path(s.path).stat().st_size == 0:
                    continue
                err = check_video(s.path, args.backend)
                if err:
                    print(f"  {s.path}: {err}")
                    problems += 1
    if not any_split:
        raise DataFormatError(args.root, "no annotation files found")
    print(f"{problems} problem(s) found")
    return 0


def make_fake(args) -> int:
    from pkg_video.data.fake import make_fake_kinetics, make_fake_mit

    per = {"train": args.train_per_class, "val": args.val_per_class}
    if args.dataset == "kinetics":
        if not 1 <= args.classes <= 8:
            raise PkgError(f"--classes must be between 1 and 8, got {args.classes}")
        per["test"] = 1
        make_fake_kinetics(args.out, num_classes=args.classes, per_class=per, seed=args.seed, defects=args.defects)
    else:
        make_fake_mit(args.out, per_class=per, seed=args.seed)
    print(f"wrote a tiny {args.dataset} tree to {args.out}")
    return 0


def prepare(args) -> int:
    from pkg_video.data import kinetics, mit
    from pkg_video.data.decode import check_video
    from pkg_video.data.filelist import Sample, write_video_list

    if args.dataset == "kinetics":
        samples, classes, rep = kinetics.build_split(args.annotations or args.root / "annotations", args.root, args.split)
        rep = rep.as_dict()
    else:
        samples, classes, rep = mit.build_split(args.root, args.split)
    if args.check_decode:
        samples = [s for s in progress(samples, desc="decode") if check_video(s.path, args.backend) is None]
    rel = [Sample(str(pathlib.Path(s.path).relative_to(args.root)), s.label) for s in samples]
    write_video_list(args.out, rel)
    from pkg_shared.fsutil import atomic_write_text

    label_map = args.out.with_name(args.out.stem + "_classes.txt")
    atomic_write_text(label_map, "\n".join(classes) + "\n")
    print(f"{args.split}: {rep['rows']} rows -> {len(rel)} videos written to {args.out} "
          f"({rep['rows'] - len(rel)} dropped); class names in {label_map}", file=sys.stderr)
    return 0


def check_videos(args) -> int:
    from pkg_video.data.decode import check_video
    from pkg_video.data.filelist import read_video_list, write_video_list

    samples = read_video_list(args.list)
    good, bad = [], 0
    for s in progress(samples, desc="check"):
        err = check_video(args.root / s.path, args.backend)
        if err:
            print(f"{args.root / s.path}: {err}")
            bad += 1
        else:
            good.append(s)
    write_video_list(args.out, good)
    print(f"{len(good)} good, {bad} broken; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
