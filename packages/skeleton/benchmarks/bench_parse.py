"""Parsing speed of raw NTU ``.skeleton`` files (files/s): our parser against a naive line-by-line reader.

Parses the fake NTU files written by ``make_fake_ntu`` (real-format text; pass ``--root`` to use a
real ``nturgb+d_skeletons/`` folder and ``--limit`` to cap the number of files).

    python packages/skeleton/benchmarks/bench_parse.py --out bench_parse.json
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile

from pkg_shared.engine.bench import compare, report
from pkg_skeleton.data import ntu
from pkg_skeleton.data.fake import make_fake_ntu


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=pathlib.Path, help="folder of .skeleton files (default: fake ones)")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--out", help="JSON file for the results")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or make_fake_ntu(tmp, num_classes=8, performers=(1, 2), cameras=(1, 2, 3), frames=(60, 120))
        files = sorted(pathlib.Path(root).glob("*.skeleton"))[: args.limit]
        texts = {f: f.read_text() for f in files}  # warm the page cache

        def ours():
            for f in files:
                ntu.parse_skeleton_file(f)

        def naive():
            for f in files:
                ntu.parse_naive(f)

        r = compare(f"parse {len(files)} NTU .skeleton files: ours vs naive line-by-line", ours, naive,
                    warmup=1, repeat=3, extra={"files": len(files), "bytes": sum(len(t) for t in texts.values())})
        r["ours_files_per_s"] = len(files) / r["candidate"]["median_s"]
        r["naive_files_per_s"] = len(files) / r["baseline"]["median_s"]
        print(report([r], args.out))
        print(f"ours {r['ours_files_per_s']:.1f} files/s, naive {r['naive_files_per_s']:.1f} files/s")


if __name__ == "__main__":
    main()
