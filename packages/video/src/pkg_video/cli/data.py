"""video-data: check an official dataset tree, write a tiny fake one, convert CSVs to file lists, filter videos."""

from __future__ import annotations

import argparse
import pathlib
import sys

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import DataFormatError, PkgError
from pkg_shared.io.clip import BACKENDS as clip_backends
from pkg_shared.logging import progress

EXAMPLE = """examples:
  video-data make-fake --out fake_k400                      # tiny Kinetics-400 tree (official CSVs + mp4)
  video-data make-fake --dataset mit --out fake_mit         # tiny Moments in Time tree
  video-data check --root /data/k400 --decode               # per-split statistics and every problem found
  video-data prepare --root /data/k400 --split train --out k400_train_list_videos.txt
  video-data check-videos --list k400_train_list_videos.txt --root /data/k400 --out good.txt
  video-data reencode --root /data/k400 --out /data/k400_320 --short-side 320 --keyint 8 --jobs 8
"""


def _add(sub, name: str, help: str) -> argparse.ArgumentParser:
    examples = [line for line in EXAMPLE.splitlines() if line.strip().startswith(f"video-data {name} ")]
    sp = sub.add_parser(name, help=help, description=help, formatter_class=argparse.RawDescriptionHelpFormatter,
                        epilog="examples:\n" + "\n".join(examples))
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
    sp.add_argument("--backend", choices=list(clip_backends), default="auto")
    sp = _add(sub, "make-fake", "Write a tiny dataset in the exact official format")
    sp.add_argument("--out", required=True, type=pathlib.Path)
    sp.add_argument("--dataset", choices=["kinetics", "mit"], default="kinetics")
    sp.add_argument("--classes", type=int, default=8, help="number of motion classes (1..8)")
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
    sp.add_argument("--backend", choices=list(clip_backends), default="auto")
    sp = _add(sub, "check-videos", "Open every video of a list and write the list of good ones")
    sp.add_argument("--list", required=True, type=pathlib.Path)
    sp.add_argument("--root", required=True, type=pathlib.Path, help="data prefix of the list's paths")
    sp.add_argument("--out", required=True, type=pathlib.Path)
    sp.add_argument("--backend", choices=list(clip_backends), default="auto")
    sp = _add(sub, "reencode", "Copy a video tree re-encoded for fast clip loading (short side, dense key frames, H.264)")
    sp.add_argument("--root", required=True, type=pathlib.Path, help="source tree (every video below it)")
    sp.add_argument("--out", required=True, type=pathlib.Path, help="destination tree (same relative paths, .mp4)")
    sp.add_argument("--list", type=pathlib.Path, help="only the videos of this list (paths relative to --root)")
    sp.add_argument("--short-side", type=int, default=320)
    sp.add_argument("--keyint", type=int, default=8, help="a key frame every N frames")
    sp.add_argument("--crf", type=int, default=23)
    sp.add_argument("--jobs", type=int, default=1, help="files encoded in parallel")
    args = p.parse_args(argv)
    from pkg_video.cli._common import check_outputs

    if args.cmd in ("make-fake", "reencode"):
        check_outputs(dirs=[args.out])
    elif args.cmd in ("prepare", "check-videos"):
        check_outputs(files=[args.out])
    if getattr(args, "decode", False) or getattr(args, "check_decode", False) or args.cmd == "check-videos":
        from pkg_shared.io.clip import resolve

        resolve(args.backend)  # a missing back-end is reported before any work, not after the first split
    cmds = {"check": check, "make-fake": make_fake, "prepare": prepare, "check-videos": check_videos,
            "reencode": reencode}
    return cmds[args.cmd](args)


def _detect(root: pathlib.Path) -> str:
    if (root / "moments_categories.txt").is_file():
        return "mit"
    if (root / "annotations").is_dir():
        return "kinetics"
    raise DataFormatError(root, "neither a Kinetics tree (annotations/) nor a Moments in Time tree "
                          "(moments_categories.txt); pass --dataset and --annotations")


def _splits(args, dataset: str):
    """Yield (split, samples, classes, report, format problems) for each split present.

    Malformed annotation lines are collected (the rest of the file is still read); a split whose
    annotation file cannot be read at all comes back with ``samples=None`` and that one problem.
    """
    from pkg_video.data import kinetics, mit

    if dataset == "mit":
        for split in ("train", "val"):
            if (args.root / mit.SPLITS[split][0]).is_file():
                problems: list[DataFormatError] = []
                try:
                    yield (split, *mit.build_split(args.root, split, problems), problems)
                except DataFormatError as exc:
                    yield split, None, [], {}, [*problems, exc]
        return
    ann = args.annotations or args.root / "annotations"
    index = kinetics.index_videos(args.root)
    classes = None
    for split in ("train", "val", "test"):
        try:
            kinetics.find_csv(ann, split)
        except DataFormatError:
            continue
        problems = []
        try:
            samples, classes, rep = kinetics.build_split(ann, args.root, split, classes, index, problems)
        except DataFormatError as exc:
            yield split, None, [], {}, [*problems, exc]
            continue
        d = rep.as_dict()
        d["missing_examples"] = rep.missing[:5]
        yield split, samples, classes, d, problems


def check(args) -> int:
    from pkg_shared.io.clip import check_video

    if not args.root.is_dir():
        raise DataFormatError(args.root, "dataset folder not found")
    dataset = args.dataset or ("kinetics" if args.annotations else _detect(args.root))
    problems = 0
    any_split = False
    reported: dict[str, DataFormatError] = {}  # format problems; the MiT categories file is read once per split
    for split, samples, classes, rep, bad in _splits(args, dataset):
        any_split = True
        if samples is None:
            print(f"{split}: cannot be read", flush=True)
        else:
            print(f"{split}: {rep['rows']} rows, {rep['found']} videos found, {rep['missing']} missing, "
                  f"{len(classes)} classes", flush=True)
        for exc in bad:
            if str(exc) not in reported:
                reported[str(exc)] = exc
                print(f"  {exc}")
                problems += 1
        if samples is None:
            continue
        for name in rep.get("missing_examples", []):
            print(f"  missing: {name}")
        if rep["missing"] > len(rep.get("missing_examples", [])):
            print(f"  ... {rep['missing'] - len(rep['missing_examples'])} more missing")
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
    print(f"{problems} problem(s) found", flush=True)
    if reported:  # the annotations cannot be used as they are (training would stop at the first)
        first = next(iter(reported.values()))
        raise DataFormatError(first.path, f"{first.problem} (and {len(reported) - 1} more format problem(s), "
                              "listed above)" if len(reported) > 1 else first.problem, first.line)
    return 0


def make_fake(args) -> int:
    from pkg_video.data.fake import make_fake_kinetics, make_fake_mit

    if args.train_per_class < 1 or args.val_per_class < 1:
        raise PkgError(f"--train-per-class and --val-per-class must be >= 1 "
                       f"(got {args.train_per_class}, {args.val_per_class})")
    per = {"train": args.train_per_class, "val": args.val_per_class}
    if not 1 <= args.classes <= 8:
        raise PkgError(f"--classes must be between 1 and 8, got {args.classes}")
    if args.dataset == "kinetics":
        per["test"] = 1
        make_fake_kinetics(args.out, num_classes=args.classes, per_class=per, seed=args.seed, defects=args.defects)
    else:
        make_fake_mit(args.out, per_class=per, seed=args.seed, num_classes=args.classes)
    print(f"wrote a tiny {args.dataset} tree to {args.out}")
    return 0


def prepare(args) -> int:
    from pkg_shared.io.clip import check_video
    from pkg_video.data import kinetics, mit
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
    from pkg_shared.io.clip import check_video
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


def _reencode_one(job: tuple) -> str | None:
    from pkg_video.data.reencode import reencode as run

    src, dst, short_side, keyint, crf = job
    try:
        run(src, dst, short_side=short_side, keyint=keyint, crf=crf)
    except DataFormatError as exc:
        return str(exc)
    return None


def reencode(args) -> int:
    from pkg_shared.errors import require
    from pkg_video.data.filelist import read_video_list
    from pkg_video.data.reencode import VIDEO_SUFFIXES

    require("av", "pyav", "pkg-video")
    if not args.root.is_dir():
        raise DataFormatError(args.root, "source folder not found")
    if args.short_side < 2 or args.keyint < 1:
        raise PkgError(f"--short-side must be >= 2 and --keyint >= 1 (got {args.short_side}, {args.keyint})")
    if not 0 <= args.crf <= 51 or args.jobs < 1:
        raise PkgError(f"--crf must be in 0..51 (x264) and --jobs >= 1 (got {args.crf}, {args.jobs})")
    if args.list:
        rel = [pathlib.Path(s.path) for s in read_video_list(args.list)]
    else:
        rel = sorted(q.relative_to(args.root) for q in args.root.rglob("*")
                     if q.suffix.lower() in VIDEO_SUFFIXES and q.is_file() and not q.name.startswith("."))
    if args.out.resolve() == args.root.resolve():
        raise PkgError("--out must differ from --root (the originals are never overwritten)")
    jobs = [(args.root / r, args.out / r.with_suffix(".mp4"), args.short_side, args.keyint, args.crf) for r in rel]
    todo = [j for j in jobs if not j[1].exists()]  # finished files are kept: the command can be re-run
    failed = 0
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(progress(pool.map(_reencode_one, todo), total=len(todo), desc="reencode"))
    else:
        results = [_reencode_one(j) for j in progress(todo, desc="reencode")]
    for err in results:
        if err:
            print(err)
            failed += 1
    print(f"{len(todo) - failed} re-encoded, {len(jobs) - len(todo)} already there, {failed} failed; "
          f"key frame every {args.keyint}, short side {args.short_side}, in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
