"""Clip loading: our decord reader (and PyAV / OpenCV back-ends) vs frame-by-frame OpenCV reading; RSS.

    python packages/video/benchmarks/bench_decode.py --out decode.json [--clips 1000] [--repeat 5]

10 s, 25 fps, 340x256 videos are generated (the size of MMAction2's resized Kinetics copies):
H.264 with a key frame every 250 frames (x264's default ``keyint``), every 32 and every 8 frames
(``video-data reencode``; needs PyAV's bundled libx264), and MPEG-4 part 2 with a key frame every
12 (OpenCV's ``mp4v`` writer). The content is a blurred
texture panning under moving discs, so it compresses like camera video (noise would make every
frame a key frame). 8x8 and 32x2 clips are taken at ten random starts (the same starts for every
reader). Baseline: ``cv2.VideoCapture.read()`` frame by frame up to the last wanted frame.
Both wall time and process CPU time (all threads) are reported: on a shared, oversubscribed
machine the wall time mostly measures the scheduler, the CPU time the work. Resident memory is
sampled while ``--clips`` clips are decoded with decord, one reader per clip.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import tempfile
from collections.abc import Callable

import numpy as np

from pkg_shared.engine.bench import time_many
from pkg_shared.io.clip import available, read_clip
from pkg_video.data.sampling import clip_frames, train_start

W, H, N, FPS = 340, 256, 250, 25


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def camera_like_frames(n: int = N, seed: int = 0):
    import cv2

    rng = np.random.default_rng(seed)
    tex = cv2.GaussianBlur(rng.integers(0, 256, size=(H + 64, W + 256, 3), dtype=np.uint8), (0, 0), 3)
    for t in range(n):
        f = np.ascontiguousarray(tex[(t // 2) % 64:(t // 2) % 64 + H, t % 256:t % 256 + W])
        for k in range(3):
            centre = (int(W / 2 + W / 3 * np.cos(0.03 * t + 2 * k)), int(H / 2 + H / 3 * np.sin(0.05 * t + k)))
            cv2.circle(f, centre, 20 + 5 * k, tuple(255 * int(k == c) for c in range(3)), -1)
        yield f


def write_h264(path: pathlib.Path, keyint: int) -> None:
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.options = {"preset": "veryfast", "g": str(keyint), "sc_threshold": "0"}
        for f in camera_like_frames():
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


def write_mp4v(path: pathlib.Path) -> None:
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    for f in camera_like_frames():
        w.write(f[:, :, ::-1])
    w.release()


def opencv_frame_by_frame(path: str, indices: list[int]) -> np.ndarray:
    """Baseline: ``read()`` (decode + BGR conversion) every frame up to the last wanted one."""
    import cv2

    want, got, i = set(indices), {}, 0
    cap = cv2.VideoCapture(path)
    while i <= max(indices):
        ok, frame = cap.read()
        if not ok:
            break
        if i in want:
            got[i] = frame[:, :, ::-1]
        i += 1
    cap.release()
    return np.stack([got[j] for j in indices])


def shared_reader(path: str, indices: list[int]) -> np.ndarray:
    """The reader this package used before (pkg_shared.io.video: probe frame, batched fetch, seek back)."""
    from pkg_shared.io.video import VideoReader

    vr = VideoReader(path, "decord")
    out = vr.get_frames(indices).numpy()
    vr._vr.seek(0)
    del vr
    return out


def pyav_no_skip(path: str, indices: list[int]) -> np.ndarray:
    """Our PyAV path before it sent unwanted packets with skip_frame=NONREF (decodes every frame)."""
    from pkg_shared.io import clip

    orig = clip._pyav_decode
    clip._pyav_decode = lambda *a, skip_nonref: orig(*a, skip_nonref=False)
    try:
        return read_clip(path, lambda n: indices, "pyav")
    finally:
        clip._pyav_decode = orig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="JSON file")
    ap.add_argument("--clips", type=int, default=1000, help="clips decoded for the memory check")
    ap.add_argument("--repeat", type=int, default=5, help="timed rounds (each reader decodes 10 clips per round)")
    args = ap.parse_args()
    import cv2

    cv2.setNumThreads(1)  # OpenCV's own thread pool is not used by decoding; keep it quiet
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench_decode_"))
    videos = {}
    if available("pyav"):
        for keyint in (250, 32, 8):  # x264's default; about 1 s; re-encoded for random access
            videos[f"h264 keyint {keyint}"] = tmp / f"h264_k{keyint}.mp4"
            write_h264(videos[f"h264 keyint {keyint}"], keyint)
    videos["mpeg4 gop 12"] = tmp / "mpeg4_g12.mp4"
    write_mp4v(videos["mpeg4 gop 12"])
    readers: dict[str, Callable[[str, list[int]], object]] = {
        "decord (ours)": lambda p, ix: read_clip(p, lambda n: ix, "decord"),
        "pyav (ours)": lambda p, ix: read_clip(p, lambda n: ix, "pyav"),
        "pyav without non-reference skip (previous)": pyav_no_skip,
        "torchcodec (ours)": lambda p, ix: read_clip(p, lambda n: ix, "torchcodec"),
        "opencv grab/retrieve (ours)": lambda p, ix: read_clip(p, lambda n: ix, "opencv"),
        "decord via pkg_shared.io.video (previous)": shared_reader,
    }
    readers = {k: v for k, v in readers.items() if available(k.split()[0])}  # torchcodec: needs FFmpeg libs
    rng = np.random.default_rng(0)
    results = []
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load_avg_1min": os.getloadavg()[0]}
    for vname, vpath in videos.items():
        for clip_len, interval in ((8, 8), (32, 2)):
            sets = [clip_frames(train_start(N, clip_len, interval, rng), N, clip_len, interval) for _ in range(10)]
            path = str(vpath)

            def run_all(fn, path=path, sets=sets):
                return [fn(path, ix) for ix in sets]

            fns = {"baseline": lambda: run_all(opencv_frame_by_frame)}
            fns.update({k: (lambda fn=fn: run_all(fn)) for k, fn in readers.items()})
            times = time_many(fns, warmup=1, repeat=args.repeat)  # interleaved rounds
            base = times["baseline"]
            for rname in readers:
                cand = times[rname]
                results.append({
                    "name": f"{clip_len}x{interval} clip, {vname}: {rname} vs OpenCV frame-by-frame",
                    "candidate": {k: v / 10 if k.endswith("_s") else v for k, v in cand.items()},
                    "baseline": {k: v / 10 if k.endswith("_s") else v for k, v in base.items()},
                    "speedup": base["median_s"] / cand["median_s"],
                    "cpu_speedup": base["cpu_median_s"] / cand["cpu_median_s"],
                    "machine": machine,
                })
                r = results[-1]
                print(f"{r['name']}: {r['candidate']['median_s'] * 1e3:.1f} ms ({r['candidate']['cpu_median_s'] * 1e3:.1f} "
                      f"CPU-ms) vs {r['baseline']['median_s'] * 1e3:.1f} ms ({r['baseline']['cpu_median_s'] * 1e3:.1f}"
                      f" CPU-ms): x{r['speedup']:.2f} wall, x{r['cpu_speedup']:.2f} CPU", flush=True)
    mem_path = str(next(iter(videos.values())))
    samples, start = [], rss_mb()
    for k in range(args.clips):
        read_clip(mem_path, lambda n: clip_frames(train_start(n, 8, 8, rng), n, 8, 8), "decord")
        if k % max(1, args.clips // 10) == 0:
            samples.append(round(rss_mb(), 1))
    end = rss_mb()
    # flat = the second half of the run grows by less than 5 MB
    half = samples[len(samples) // 2:]
    mem = {"name": f"decord RSS over {args.clips} clips ({next(iter(videos))})", "clips": args.clips,
           "rss_start_mb": round(start, 1), "rss_end_mb": round(end, 1), "rss_samples_mb": samples,
           "second_half_growth_mb": round(half[-1] - half[0], 1) if half else 0.0}
    results.append(mem)
    print(f"RSS over {args.clips} decord clips: {start:.1f} MB -> {end:.1f} MB (samples {samples})")
    if args.out:
        from pkg_shared.fsutil import atomic_write_json

        atomic_write_json(args.out, results)


if __name__ == "__main__":
    main()
