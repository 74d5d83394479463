"""Benchmark: reid-eval on a Market-sized problem, and feature extraction throughput.

1. Evaluation of 3,368 queries x 15,913 gallery images with 2,048-d random (seeded) features and
   Market-like ids/cameras: our path (blocked float32 distances + pkg_shared's stable-sort
   evaluator computing CMC, both AP conventions and mINP) vs a naive re-implementation of
   torchreid's documented pure-Python ``eval_market1501`` (full argsort of the distance matrix,
   per-query masking, cumsum AP). torchreid's compiled (Cython) evaluator is not installable here.
2. Extraction features/s of the paper model (ResNet-50, res4+res5 heads) at batch 64, 256x128, CPU.

    python packages/reid/benchmarks/bench_eval.py --out bench_eval.json [--scale 0.25] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from pkg_reid.config import ModelConfig
from pkg_reid.eval.rank import distance, evaluate
from pkg_reid.models import build_model
from pkg_shared.engine.bench import compare, report


def market_like(nq: int, ng: int, dim: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_ids = 750
    q_pids = rng.integers(1, n_ids + 1, nq)
    q_cams = rng.integers(1, 7, nq)
    g_pids = rng.integers(0, n_ids + 1, ng)  # 0 = distractors
    g_pids[rng.random(ng) < 0.05] = -1  # some junk
    g_cams = rng.integers(1, 7, ng)
    centres = rng.normal(size=(n_ids + 1, dim)).astype(np.float32)
    qf = centres[q_pids] + rng.normal(0, 3.0, size=(nq, dim)).astype(np.float32)
    gf = centres[np.maximum(g_pids, 0)] + rng.normal(0, 3.0, size=(ng, dim)).astype(np.float32)
    return qf, gf, q_pids, q_cams, g_pids, g_cams


def torchreid_python_eval(distmat, q_pids, g_pids, q_camids, g_camids, max_rank=50):
    """Naive re-implementation of torchreid's documented pure-Python Market-1501 evaluation."""
    num_q, num_g = distmat.shape
    indices = np.argsort(distmat, axis=1)
    matches = (g_pids[indices] == q_pids[:, np.newaxis]).astype(np.int32)
    all_cmc, all_ap = [], []
    for q_idx in range(num_q):
        order = indices[q_idx]
        remove = ((g_pids[order] == q_pids[q_idx]) & (g_camids[order] == q_camids[q_idx])) | (g_pids[order] == -1)
        keep = np.invert(remove)
        raw = matches[q_idx][keep]
        if not np.any(raw):
            continue
        cmc = raw.cumsum()
        cmc[cmc > 1] = 1
        all_cmc.append(cmc[:max_rank])
        num_rel = raw.sum()
        tmp = raw.cumsum() / (np.arange(len(raw)) + 1.0)
        all_ap.append((tmp * raw).sum() / num_rel)
    return np.asarray(all_cmc).astype(np.float32).sum(0) / len(all_cmc), float(np.mean(all_ap))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", help="write the JSON results here")
    p.add_argument("--scale", type=float, default=1.0, help="shrink the problem (1.0 = Market size)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--extract-batches", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    nq, ng = int(3368 * args.scale), int(15913 * args.scale)
    qf, gf, qp, qc, gp, gc = market_like(nq, ng, 2048)
    results = []

    ours_out = {}

    def ours():
        d = distance(qf, gf)
        ours_out["r"] = evaluate(d, qp, qc, gp, gc)

    base_out = {}

    def baseline():
        d = distance(qf, gf)
        base_out["r"] = torchreid_python_eval(d, qp, gp, qc, gc)

    res = compare(f"reid-eval {nq}x{ng}x2048 (ours vs torchreid python path)", ours, baseline, warmup=0,
                  repeat=args.repeat)
    r = ours_out["r"]
    cmc_b, map_b = base_out["r"]
    res["check"] = {"ours_rank1": r["rank1"], "torchreid_rank1": float(cmc_b[0]),
                    "ours_mAP_non_interpolated": r["mAP_non_interpolated"], "torchreid_mAP": map_b,
                    "ours_mAP_official": r["mAP_official"]}
    results.append(res)

    net = build_model(ModelConfig()).eval()
    x = torch.randn(64, 3, 256, 128)
    with torch.no_grad():
        net(x[:8])
        t0 = time.perf_counter()
        for _ in range(args.extract_batches):
            net(x)
        dt = time.perf_counter() - t0
    fps = 64 * args.extract_batches / dt
    t_eval = res["candidate"]["median_s"]
    print(report(results, args.out if False else None))
    print(f"extraction: {fps:.1f} features/s (ResNet-50 LITM model, batch 64, 256x128, {args.threads} threads)")
    results.append({"name": "extraction features/s, batch 64, 256x128, CPU", "features_per_s": fps,
                    "threads": args.threads, "eval_seconds": t_eval})
    if args.out:
        import json

        from pkg_shared.fsutil import atomic_write_text

        atomic_write_text(args.out, json.dumps(results, indent=2, default=float) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
