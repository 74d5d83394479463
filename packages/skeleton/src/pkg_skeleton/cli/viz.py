"""skeleton-viz: frame grid of a skeleton file, or a detection timeline against ground truth."""

from __future__ import annotations

import argparse
import pathlib

from pkg_shared.cli import entrypoint

EXAMPLE = """examples:
  skeleton-viz sample S001C001P001R001A001.skeleton --out sample.png
  skeleton-viz timeline --dets dets/ --labels PKU-MMD/Train_Label_PKU_final --out timeline.png
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="skeleton-viz", description=__doc__, epilog=EXAMPLE,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample", help="frame grid of one file", epilog=EXAMPLE)
    s.add_argument("input", type=pathlib.Path)
    s.add_argument("--frames", type=int, default=8)
    s.add_argument("--out", type=pathlib.Path, required=True)
    t = sub.add_parser("timeline", help="detections against ground truth per video", epilog=EXAMPLE)
    t.add_argument("--dets", type=pathlib.Path, required=True)
    t.add_argument("--labels", type=pathlib.Path, required=True)
    t.add_argument("--min-score", type=float, default=0.3)
    t.add_argument("--out", type=pathlib.Path, required=True)
    args = p.parse_args(argv)
    from pkg_skeleton.engine import viz

    if args.cmd == "sample":
        from pkg_skeleton.config import RecognitionConfig
        from pkg_skeleton.engine.infer import read_any

        viz.frame_grid(read_any(args.input, RecognitionConfig()), args.out, args.frames, title=args.input.name)
    else:
        from pkg_skeleton.engine.detect import read_folder

        dets = read_folder(args.dets)
        viz.timeline(read_folder(args.labels, sorted(dets)), dets, args.out, args.min_score)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
