"""Feature-extraction throughput: a clip backbone (C3D/I3D-style, torchvision ``r3d_18`` by default) against
the per-frame ResNet-50 backbone on the same frames, in frames of video per second (decoding excluded).

Both run in the same process on the same uint8 frames (random weights: speed does not depend on them);
``speedup`` = baseline time / clip-backbone time (above 1: the clip backbone covers the video faster).

    python packages/grounding/benchmarks/bench_extract.py --out bench_extract.json [--clip r2plus1d_18] [--frames 64]
"""

from __future__ import annotations

import argparse

import torch

from pkg_grounding.engine.extract import CLIP_BACKBONES, ClipBackbone, TorchvisionBackbone, clip_starts
from pkg_shared.engine.bench import compare, report


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", help="JSON results file")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--clip", choices=list(CLIP_BACKBONES), default="r3d_18")
    p.add_argument("--frames", type=int, default=32, help="sampled frames in the benchmark video")
    p.add_argument("--clip-len", type=int, default=16)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    torch.manual_seed(0)
    frames = torch.randint(0, 256, (args.frames, 3, 240, 320), dtype=torch.uint8, device=dev)
    clip = ClipBackbone(args.clip, None, args.clip_len, args.clip_len).to(dev)
    frame = TorchvisionBackbone("resnet50_pool", None).to(dev)
    starts = clip_starts(args.frames, args.clip_len, args.clip_len)

    @torch.no_grad()
    def run_clip():
        idx = torch.tensor([min(a + j, args.frames - 1) for a in starts for j in range(args.clip_len)], device=dev)
        clip(frames[idx].reshape(len(starts), args.clip_len, *frames.shape[1:]))

    @torch.no_grad()
    def run_frame():
        for s in range(0, args.frames, 16):
            frame(frames[s : s + 16])

    extra = {"frames": args.frames, "clip_backbone": args.clip, "clip_len": args.clip_len,
             "frame_backbone": "resnet50_pool", "device": str(dev), "resolution": "240x320 input"}
    res = compare(f"extract_{args.frames}_frames", run_clip, run_frame, repeat=args.repeat, warmup=1, extra=extra)
    res["clip_frames_per_s"] = args.frames / res["candidate"]["median_s"]
    res["frame_frames_per_s"] = args.frames / res["baseline"]["median_s"]
    print(report([res], args.out))


if __name__ == "__main__":
    main()
