"""Benchmark: reid-eval on a Market-sized problem, and feature extraction throughput.

1. Evaluation of 3,368 queries x 15,913 gallery images with 2,048-d random (seeded) features and
   Market-like ids/cameras. The (Q, G) distance matrix (blocked float32 matmul) is computed once and
   timed; then, on the same matrix, in the same process:
   - ours: ``pkg_reid.eval.rank.evaluate`` (sort-free counting path; CMC, both AP conventions, mINP);
   - torchreid's own pure-Python ``eval_market1501``, loaded from ``--torchreid-rank`` (the file
     ``torchreid/reid/metrics/rank.py`` of ``pip download torchreid --no-deps``); the PyPI release
     ships no ``rank_cy.pyx``, so torchreid's compiled evaluator cannot be built here;
   - a vectorised re-implementation of that pure-Python path (full argsort, per-query masking);
   - pkg_shared's stable-sort reference evaluator (``method="sort"``);
   - a lower bound for torchreid's compiled evaluator: its first step alone, ``np.argsort`` of the
     whole matrix (its Cython loops then run over the argsorted rows).
   All must agree on rank-1 and the non-interpolated mAP (checked). End-to-end = distance + evaluator.
2. Extraction features/s of the paper model (ResNet-50, res4+res5 heads) at batch 64, 256x128, CPU.

    python packages/reid/benchmarks/bench_eval.py --out bench_eval.json \
        [--torchreid-rank /tmp/torchreid/reid/metrics/rank.py] [--scale 0.25] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from pkg_reid.config import ModelConfig
from pkg_reid.eval.rank import distance, evaluate
from pkg_reid.models import build_model
from pkg_shared.engine.bench import time_fn


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


def load_torchreid_eval(path: str):
    """torchreid's ``eval_market1501`` from its own source file (it imports only numpy/stdlib)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("torchreid_rank", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.eval_market1501


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", help="write the JSON results here")
    p.add_argument("--scale", type=float, default=1.0, help="shrink the problem (1.0 = Market size)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--extract-batches", type=int, default=3)
    p.add_argument("--torchreid-rank", help="torchreid/reid/metrics/rank.py of the torchreid sdist")
    p.add_argument("--skip", nargs="*", default=[], choices=("sort", "vectorised"),
                   help="leave out the pkg_shared sort reference and/or the vectorised torchreid path")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    nq, ng = int(3368 * args.scale), int(15913 * args.scale)
    qf, gf, qp, qc, gp, gc = market_like(nq, ng, 2048)
    out: dict = {"problem": f"{nq} x {ng} x 2048", "threads": args.threads, "repeat": args.repeat}
    box: dict = {}

    def dist_fn():
        box["d"] = distance(qf, gf)

    out["distance"] = time_fn(dist_fn, warmup=0, repeat=args.repeat)
    d = box["d"]
    keep = gp != -1  # torchreid drops -1 junk at load time; ours removes it per query (same ranking)
    d_kept, gp_kept, gc_kept = np.ascontiguousarray(d[:, keep]), gp[keep], gc[keep]
    paths = {
        "ours (count)": lambda: evaluate(d, qp, qc, gp, gc),
        "torchreid compiled, lower bound: np.argsort of the matrix": lambda: (np.argsort(d_kept, axis=1), None)[1],
    }
    if "sort" not in args.skip:
        paths["pkg_shared stable sort"] = lambda: evaluate(d, qp, qc, gp, gc, method="sort")
    if "vectorised" not in args.skip:
        paths["torchreid python path, vectorised re-implementation"] = lambda: torchreid_python_eval(d, qp, gp, qc, gc)
    if args.torchreid_rank:
        tr = load_torchreid_eval(args.torchreid_rank)
        paths["torchreid eval_market1501 (its own pure-Python file)"] = lambda: tr(d_kept, qp, gp_kept, qc, gc_kept, 50)
    evals, checks = {}, {}
    for name, fn in paths.items():
        res: dict = {}
        evals[name] = time_fn(lambda fn=fn, res=res: res.__setitem__("r", fn()), warmup=0, repeat=args.repeat)
        r = res["r"]
        if r is None:
            print(f"{name}: {evals[name]['median_s']:.2f} s", flush=True)
            continue
        checks[name] = ({"rank1": r["rank1"], "mAP_non_interpolated": r["mAP_non_interpolated"],
                         "mAP_official": r["mAP_official"]} if isinstance(r, dict)
                        else {"rank1": float(r[0][0]), "mAP_non_interpolated": float(r[1])})
        print(f"{name}: evaluator {evals[name]['median_s']:.2f} s, end-to-end "
              f"{evals[name]['median_s'] + out['distance']['median_s']:.2f} s, {checks[name]}", flush=True)
    ref = checks["ours (count)"]
    for name, c in checks.items():  # torchreid's quicksort may order the rare exact float32 ties differently
        c["abs_diff_mAP_non_interpolated_vs_ours"] = abs(c["mAP_non_interpolated"] - ref["mAP_non_interpolated"])
        assert abs(c["rank1"] - ref["rank1"]) < 1e-5 and c["abs_diff_mAP_non_interpolated_vs_ours"] < 1e-5, name
    t_ours = evals["ours (count)"]["median_s"]
    t_dist = out["distance"]["median_s"]
    out["evaluators"] = {name: {**t, "end_to_end_s": t["median_s"] + t_dist,
                                "evaluator_ratio_vs_ours": t["median_s"] / t_ours,
                                "end_to_end_ratio_vs_ours": (t["median_s"] + t_dist) / (t_ours + t_dist)}
                         for name, t in evals.items()}
    out["checks"] = checks
    print(f"distance matrix: {t_dist:.2f} s")

    net = build_model(ModelConfig()).eval()
    x = torch.randn(64, 3, 256, 128)
    with torch.no_grad():
        net(x[:8])
        t0 = time.perf_counter()
        for _ in range(args.extract_batches):
            net(x)
        dt = time.perf_counter() - t0
    fps = 64 * args.extract_batches / dt
    out["extraction"] = {"features_per_s": fps, "batch": 64, "input": "256x128", "model": "ResNet-50 res4+res5 TriNet",
                         "batches": args.extract_batches}
    print(f"extraction: {fps:.1f} features/s (ResNet-50 LITM model, batch 64, 256x128, {args.threads} threads)")
    if args.out:
        import json
        import os

        from pkg_shared.fsutil import atomic_write_text

        out["load_average"] = os.getloadavg()
        atomic_write_text(args.out, json.dumps(out, indent=2, default=float) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
