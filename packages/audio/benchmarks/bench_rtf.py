"""CPU real-time factor of ``audio-tag`` (decode + resample + sliding windows + paper model).

    python packages/audio/benchmarks/bench_rtf.py --minutes 10 --out bench_rtf.json

RTF = processing time / audio duration (lower is better). Candidate: the default hop of 5 s
(50 % overlap); baseline: hop 10 s (no overlap), i.e. the cost of the overlap.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import tempfile

import numpy as np
import torch

from pkg_audio.config import AudioConfig, ModelConfig
from pkg_audio.engine.infer import tag_file
from pkg_audio.models import build_model
from pkg_shared.engine.bench import compare, report
from pkg_shared.io.audio import write_wav


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--out")
    args = p.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench_rtf_"))
    n = int(args.minutes * 60 * 44100)
    rng = np.random.default_rng(0)
    write_wav(tmp / "long.wav", 0.1 * rng.standard_normal(n).astype(np.float32), 44100)
    cfg = AudioConfig()
    model = build_model(ModelConfig()).to(args.device).eval()
    dur = args.minutes * 60

    def run(hop):
        icfg = dataclasses.replace(cfg.infer, hop_seconds=hop)
        return lambda: tag_file(model, tmp / "long.wav", cfg, icfg, args.device)

    with torch.inference_mode():
        res = compare(f"audio-tag {args.minutes:g} min file, hop 5 s vs hop 10 s ({args.device})", run(5.0), run(10.0),
                      warmup=0, repeat=args.repeat,
                      extra={"audio_seconds": dur, "load_average_before": os.getloadavg(),
                             "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads()})
    res["load_average_after"] = os.getloadavg()
    res["rtf_hop5"] = res["candidate"]["median_s"] / dur
    res["rtf_hop10"] = res["baseline"]["median_s"] / dur
    print(report([res], args.out))
    print(f"  real-time factor: hop 5 s {res['rtf_hop5']:.4f}, hop 10 s {res['rtf_hop10']:.4f} "
          f"(load average {res['load_average_before'][0]:.1f} -> {res['load_average_after'][0]:.1f})")


if __name__ == "__main__":
    main()
