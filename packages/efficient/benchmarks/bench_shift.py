"""SSL inference shift vs a 3x3 depthwise conv of the same shape at 0/50/80/95 % sparsity,
batch 1 single thread and batch 32 all threads (goal: faster than depthwise at >= 80 %)."""

import argparse

import torch

from pkg_efficient.bench import bench_shift
from pkg_shared.engine.bench import report

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", help="JSON file")
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    all_threads = torch.get_num_threads()
    results = []
    torch.set_num_threads(1)
    results += bench_shift(batch=1, repeat=args.repeat)
    torch.set_num_threads(all_threads)
    results += bench_shift(batch=32, repeat=max(5, args.repeat // 5))
    print(report(results, args.out))
