"""Speed of the shared ops: Triton kernels vs their PyTorch references (same run, ratio reported).

On a CUDA machine: Triton shift vs the reference's per-channel slice copies, and Triton pairwise
distances vs torch.cdist. On a CPU only the PyTorch paths run (the reference shift vs a
torch.roll-and-mask formulation; the expansion-based pairwise path vs torch.cdist).
Usage: python shared/benchmarks/bench_ops.py [--out FILE.json]
"""

from __future__ import annotations

import argparse

import torch

from pkg_shared.engine.bench import compare, report
from pkg_shared.ops import integer_shift, integer_shift_reference, pairwise_sq_dist


def _roll_shift(x: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Baseline: torch.roll per channel then zero the wrapped border."""
    out = torch.empty_like(x)
    h, w = x.shape[-2:]
    for c, (a, b) in enumerate(offsets.tolist()):
        y = torch.roll(x[:, c], shifts=(a, b), dims=(-2, -1))
        if a > 0:
            y[:, :a] = 0
        elif a < 0:
            y[:, h + a :] = 0
        if b > 0:
            y[:, :, :b] = 0
        elif b < 0:
            y[:, :, w + b :] = 0
        out[:, c] = y
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    cuda = torch.cuda.is_available()
    dev = "cuda" if cuda else "cpu"
    results = []
    x = torch.randn(32, 256, 28, 28, device=dev)
    off = torch.randint(-1, 2, (256, 2), device=dev)
    if cuda:
        results.append(compare("shift 32x256x28x28: triton vs reference",
                               lambda: integer_shift(x, off, backend="triton"),
                               lambda: integer_shift_reference(x, off), repeat=20))
    else:
        results.append(compare("shift 32x256x28x28: reference vs roll+mask (cpu)",
                               lambda: integer_shift_reference(x, off), lambda: _roll_shift(x, off)))
    a = torch.randn(2048, 2048 if cuda else 512, device=dev)
    backend = "triton" if cuda else "reference"
    results.append(compare(f"pairwise 2048x{a.shape[1]}: {backend} vs torch.cdist^2",
                           lambda: pairwise_sq_dist(a, backend=backend),
                           lambda: torch.cdist(a, a) ** 2, repeat=10))
    print(report(results, args.out))


if __name__ == "__main__":
    main()
