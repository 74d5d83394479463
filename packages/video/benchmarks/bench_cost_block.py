"""CoST layer forward+backward vs the C3D 3x3x3 and C2D 1x3x3 convolutions at the same shape.

    python packages/video/benchmarks/bench_cost_block.py --out block.json [--device cuda] [--size 28]
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from pkg_shared.engine.bench import compare, report
from pkg_video.models.cost_conv import CoSTConv


def step(layer: nn.Module, x: torch.Tensor):
    def run():
        layer.zero_grad(set_to_none=True)
        x.grad = None
        layer(x).sum().backward()
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    dev = torch.device(args.device)
    c = args.channels
    x = torch.randn(args.batch, c, args.frames, args.size, args.size, device=dev, requires_grad=True)
    c2d = nn.Conv3d(c, c, (1, 3, 3), padding=(0, 1, 1), bias=False).to(dev)
    c3d = nn.Conv3d(c, c, 3, padding=1, bias=False).to(dev)
    layers = {
        "CoST(a) three calls": CoSTConv(c, c, variant="a").to(dev),
        "CoST(a) fused call": CoSTConv(c, c, variant="a", impl="fused").to(dev),
        "CoST(b) three calls": CoSTConv(c, c, variant="b").to(dev),
        "CoST(a) folded Conv3d (inference form)": CoSTConv(c, c, variant="a").to(dev).to_conv3d(),
    }
    shape = f"N{args.batch} C{c} T{args.frames} {args.size}x{args.size} on {dev}"
    results = []
    for name, layer in layers.items():
        results.append(compare(f"{name} vs C3D 3x3x3, fwd+bwd, {shape}", step(layer, x), step(c3d, x),
                               repeat=args.repeat))
        results.append(compare(f"{name} vs C2D 1x3x3, fwd+bwd, {shape}", step(layer, x), step(c2d, x),
                               repeat=args.repeat))
    print(report(results, args.out))


if __name__ == "__main__":
    main()
