"""CPU inference at 640x480: TLL single frame vs torchvision Faster R-CNN ResNet-50 FPN (random init),
and one streaming Conv-LSTM step vs an unrolled 5-frame clip (same model).

    python packages/detect/benchmarks/bench_inference.py --out bench_infer.json [--threads 2] [--small]
"""

from __future__ import annotations

import argparse

import torch

from pkg_detect.config import ModelConfig
from pkg_detect.models import TLLNet
from pkg_shared.engine.bench import compare, report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--small", action="store_true", help="320x240 input (quick check)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    h, w = (240, 320) if args.small else (480, 640)
    x = torch.rand(1, 3, h, w)
    results = []
    with torch.inference_mode():
        tll = TLLNet(ModelConfig()).eval()
        from torchvision.models.detection import fasterrcnn_resnet50_fpn

        frcnn = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, min_size=h, max_size=w).eval()
        results.append(compare(f"TLL single frame {w}x{h} vs Faster R-CNN R50-FPN", lambda: tll(x),
                               lambda: frcnn([x[0]]), warmup=1, repeat=args.repeat,
                               extra={"input": [h, w], "threads": args.threads}))
        tfa = TLLNet(ModelConfig(temporal_mode="convlstm")).eval()
        clip = torch.rand(1, 5, 3, h, w)
        _, state = tfa.step(x, None)
        results.append(compare(f"TLL-TFA streaming step vs unrolled 5-frame clip {w}x{h}",
                               lambda: tfa.step(x, state), lambda: tfa(clip), warmup=1, repeat=args.repeat,
                               extra={"input": [h, w], "threads": args.threads}))
    print(report(results, args.out))


if __name__ == "__main__":
    main()
