"""Clip loading: decord batched fetch (our reader) vs frame-by-frame OpenCV reading, plus RSS over many clips.

    python packages/video/benchmarks/bench_decode.py --out decode.json [--clips 1000]

A 10 s, 25 fps (250 frames) 340x256 mp4 is generated; 8x8 and 32x2 clips are sampled at random
starts. Resident memory is sampled while decoding ``--clips`` clips with decord (it is known to
grow when readers are kept alive; we open one reader per clip and seek back before releasing).
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile

import numpy as np

from pkg_shared.engine.bench import compare, report
from pkg_shared.testing import write_video
from pkg_video.data.decode import read_clip
from pkg_video.data.sampling import clip_frames, train_start


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def opencv_clip(path: str, indices: list[int]) -> np.ndarray:
    """Baseline: decode sequentially with cv2.VideoCapture, keep the wanted frames (BGR -> RGB)."""
    import cv2

    want = sorted(set(indices))
    cap = cv2.VideoCapture(path)
    got, i = {}, 0
    while i <= want[-1]:
        ok, frame = cap.read()
        if not ok:
            break
        if i in want:
            got[i] = frame[:, :, ::-1]
        i += 1
    cap.release()
    return np.stack([got[j] for j in indices if j in got])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="JSON file")
    ap.add_argument("--clips", type=int, default=1000, help="clips decoded for the memory check")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp())
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, size=(250, 256, 340, 3), dtype=np.uint8)
    frames[:] = (frames // 64) * 64  # blocky content, compresses like real video
    path = str(write_video(tmp / "ten_seconds.mp4", frames, fps=25.0))
    results = []
    for clip_len, interval in ((8, 8), (32, 2)):
        def idx(n, clip_len=clip_len, interval=interval):
            return clip_frames(train_start(n, clip_len, interval, rng), n, clip_len, interval)

        results.append(compare(
            f"load {clip_len}x{interval} clip from a 10 s video (decord vs OpenCV sequential)",
            lambda idx=idx: read_clip(path, idx, "decord"),
            lambda idx=idx: opencv_clip(path, idx(250)),
            repeat=args.repeat))
    start = rss_mb()
    samples = []
    for k in range(args.clips):
        read_clip(path, lambda n: clip_frames(train_start(n, 8, 8, rng), n, 8, 8), "decord")
        if k % max(1, args.clips // 10) == 0:
            samples.append(round(rss_mb(), 1))
    end = rss_mb()
    mem = {"clips": args.clips, "rss_start_mb": round(start, 1), "rss_end_mb": round(end, 1), "rss_samples_mb": samples}
    results.append({"name": "decord RSS over repeated clip loads", "candidate": {"median_s": 0.0},
                    "baseline": {"median_s": 0.0}, "speedup": float("nan"), **mem})
    print(report(results[:-1], None))
    print(f"RSS over {args.clips} decord clips: {start:.1f} MB -> {end:.1f} MB (samples {samples})")
    if args.out:
        from pkg_shared.fsutil import atomic_write_json

        atomic_write_json(args.out, results)


if __name__ == "__main__":
    main()
