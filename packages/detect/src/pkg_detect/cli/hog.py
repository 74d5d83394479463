"""``detect-hog``: OpenCV HOG baseline writing Caltech toolbox result files."""

from __future__ import annotations

import json
import pathlib

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import PkgError

EPILOG = """examples:
  detect-hog --root data/caltech --out res/HOG --sets 6-10           # every 30th test frame, setXX/VYYY.txt
  detect-hog --input data/caltech/set06/V000.seq --out res/HOG/set06 --every 30
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("detect-hog", "OpenCV HOG people detector baseline.", config=False, seed=False, device=False)
    p.epilog = EPILOG
    p.add_argument("--root", help="Caltech root: run on the test frames of --sets")
    p.add_argument("--input", help="a single .seq video")
    p.add_argument("--sets", default="6-10")
    p.add_argument("--every", type=int, default=30)
    p.add_argument("--upscale", type=float, default=2.0)
    p.add_argument("--model", choices=["default", "daimler"], default="default")
    args = p.parse_args(argv)
    if args.out is None or (args.root is None) == (args.input is None):
        raise PkgError("give --out and exactly one of --root / --input")
    if args.upscale <= 0:
        raise PkgError("--upscale must be positive")
    from pkg_detect.baselines.hog import HogDetector
    from pkg_detect.data import caltech
    from pkg_detect.data.caltech_seq import SeqReader
    from pkg_detect.eval.caltech import write_results
    from pkg_shared.logging import progress

    det = HogDetector(args.upscale, args.model)
    n = 0
    if args.input:
        seq = SeqReader(args.input)
        frames = caltech.frame_indices(len(seq), args.every)
        dets = [det(seq[f]) for f in progress(frames, desc="hog")]
        dest = pathlib.Path(args.out) / f"{pathlib.Path(args.input).stem}.txt"
        write_results(dest, frames, dets)
        n = len(frames)
    else:
        from pkg_detect.cli.data import _sets
        from pkg_detect.engine.evaluate import write_result_dir

        items = caltech.index(args.root, _sets(args.sets), args.every)
        dets = [det(caltech.load_seq(str(v.seq))[f]) for v, f in progress(items, desc="hog")]
        write_result_dir(args.out, items, dets)
        n = len(items)
    print(json.dumps({"frames": n, "out": str(args.out)}))
    return 0
