"""Data loading throughput (clips/s): our decode + soxr path vs ``librosa.load`` at its default.

    python packages/audio/benchmarks/bench_loading.py --clips 16 --out bench_loading.json

Files: 10 s stereo 44.1 kHz 16-bit WAVs (a typical user download). Candidate: soundfile decode,
channel mean, soxr to 16 kHz (pkg_audio.data.audio_io.decode). Baselines: ``librosa.load(path)``
(its defaults: mono, 22 050 Hz, soxr_hq) and ``librosa.load(path, sr=16000)``.
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile

import numpy as np

from pkg_audio.data.audio_io import decode
from pkg_shared.engine.bench import compare, report
from pkg_shared.io.audio import write_wav


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=16)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", help="JSON results file")
    args = p.parse_args()
    import librosa

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench_audio_"))
    rng = np.random.default_rng(0)
    files = []
    for i in range(args.clips):
        f = tmp / f"c{i}.wav"
        write_wav(f, 0.1 * rng.standard_normal((441_000, 2)).astype(np.float32), 44100)
        files.append(f)

    def ours():
        for f in files:
            decode(f, 16000)

    def lib_default():
        for f in files:
            librosa.load(f)

    def lib_16k():
        for f in files:
            librosa.load(f, sr=16000)

    extra = {"clips": args.clips, "file": "10 s, 2 ch, 44.1 kHz, PCM16"}
    res = [compare("load 10 s clip: ours (soxr->16k) vs librosa.load default", ours, lib_default, repeat=args.repeat,
                   warmup=1, extra=extra),
           compare("load 10 s clip: ours (soxr->16k) vs librosa.load(sr=16000)", ours, lib_16k, repeat=args.repeat,
                   warmup=1, extra=extra)]
    for r in res:
        r["candidate_clips_per_s"] = args.clips / r["candidate"]["median_s"]
        r["baseline_clips_per_s"] = args.clips / r["baseline"]["median_s"]
    print(report(res, args.out))
    for r in res:
        print(f"  clips/s: ours {r['candidate_clips_per_s']:.1f}, baseline {r['baseline_clips_per_s']:.1f}")


if __name__ == "__main__":
    main()
