"""Evaluation protocols on top of ``pkg_shared.metrics.retrieval``.

- Market-1501 / DukeMTMC-reID / CUHK03 new protocol: single query; good = same id & other camera;
  junk = same id & same camera, or id -1; ID 0 distractors are negatives. CMC and mAP are reported
  in the official MATLAB convention (trapezoid AP) and the torchreid/fast-reid convention
  (non-interpolated AP) side by side, plus mINP. Ranking uses a stable sort (ties keep gallery order).
- CUHK03 classic: single-gallery-shot CMC, one random gallery image per identity, repeated and
  averaged, with a seeded generator.

Speed: ``method="count"`` (default) of ``evaluate_rankings`` counts, per good item, the non-junk
distances below it instead of sorting gallery rows, and falls back to the stable sort on exact
ties, so it equals ``method="sort"`` exactly.
"""

from __future__ import annotations

import numpy as np
import torch

from pkg_shared.metrics.retrieval import evaluate_rankings, market_masks

CONVENTIONS = {
    "mAP_official": "Market-1501 MATLAB code: AP = sum_i 1/n (P_before_i + P_at_i)/2 (trapezoid)",
    "mAP_non_interpolated": "torchreid/fast-reid: AP = mean precision at each hit",
    "mINP": "fast-reid: mean of (#hits / position of the last hit)",
    "cmc": "fraction of queries whose first good match (junk removed) is within the first k",
}


def distance(qf: np.ndarray, gf: np.ndarray, metric: str = "euclidean", block: int = 4096) -> np.ndarray:
    """(Q, G) float32 distances computed blockwise with torch (float32 matmul, clamped)."""
    q = torch.as_tensor(np.asarray(qf), dtype=torch.float32)
    g = torch.as_tensor(np.asarray(gf), dtype=torch.float32)
    if metric == "cosine":
        q = torch.nn.functional.normalize(q, dim=1)
        g = torch.nn.functional.normalize(g, dim=1)
    out = torch.empty(q.shape[0], g.shape[0])
    g2 = (g * g).sum(1)
    for s in range(0, q.shape[0], block):
        qb = q[s: s + block]
        if metric == "cosine":
            out[s: s + block] = 1.0 - qb @ g.T
        else:
            d2 = (qb * qb).sum(1, keepdim=True) + g2[None] - 2.0 * (qb @ g.T)
            out[s: s + block] = d2.clamp_min_(0.0).sqrt_()
    return out.numpy()


def evaluate(dist: np.ndarray, q_pids, q_cams, g_pids, g_cams, *, invalid_query: str = "skip",
             max_rank: int = 50, method: str = "count", masks: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """Official-protocol metrics as a JSON-ready dict (per-query arrays kept under ``per_query``).

    ``masks``: (good, junk) to use instead of the Market rules (e.g. from Market's ``gt_query``).
    """
    dist = np.asarray(dist)
    if masks is None:
        good, junk = market_masks(np.asarray(q_pids), np.asarray(q_cams), np.asarray(g_pids), np.asarray(g_cams))
    else:
        good, junk = (np.asarray(m, dtype=bool) for m in masks)
    max_rank = min(max_rank, dist.shape[1])
    r = evaluate_rankings(dist, good, junk, max_rank=max_rank, invalid_query=invalid_query, method=method)
    out = {k: r[k] for k in ("rank1", "rank5", "rank10", "rank20", "mAP_official", "mAP_non_interpolated", "mINP",
                             "num_valid_queries", "num_queries")}
    out["cmc"] = [float(v) for v in r["cmc"]]
    out["invalid_query"] = invalid_query
    out["masks"] = "market_rules" if masks is None else "given"
    out["conventions"] = CONVENTIONS
    out["per_query"] = {"ap_official": r["ap_official"], "ap_non_interpolated": r["ap_non_interpolated"],
                        "valid": r["valid"]}
    return out


def cuhk03_classic_cmc(dist: np.ndarray, q_pids, q_cams, g_pids, g_cams, *, repeats: int = 10, seed: int = 0,
                       max_rank: int = 20) -> dict:
    """Single-gallery-shot CMC: per query and repeat, keep one random gallery image of each identity
    (same-id same-camera images excluded), rank that reduced gallery stably, record the rank of the
    true identity. Queries whose identity has no valid gallery image are skipped."""
    q_pids, q_cams = np.asarray(q_pids), np.asarray(q_cams)
    g_pids, g_cams = np.asarray(g_pids), np.asarray(g_cams)
    rng = np.random.default_rng(seed)
    cmc = np.zeros(max_rank)
    n = 0
    for _ in range(repeats):
        for i in range(len(q_pids)):
            valid = ~((g_pids == q_pids[i]) & (g_cams == q_cams[i]))
            cand = np.nonzero(valid)[0]
            if not np.any(g_pids[cand] == q_pids[i]):
                continue
            chosen = []
            for pid in np.unique(g_pids[cand]):
                members = cand[g_pids[cand] == pid]
                chosen.append(members[rng.integers(len(members))])
            chosen = np.array(chosen)
            order = chosen[np.argsort(dist[i, chosen], kind="stable")]
            pos = int(np.nonzero(g_pids[order] == q_pids[i])[0][0])
            if pos < max_rank:
                cmc[pos:] += 1
            n += 1
    cmc = cmc / max(n, 1)
    return {"protocol": "cuhk03_classic_single_gallery_shot", "repeats": repeats, "seed": seed,
            "rank1": float(cmc[0]), "rank5": float(cmc[min(4, max_rank - 1)]),
            "rank10": float(cmc[min(9, max_rank - 1)]), "rank20": float(cmc[min(19, max_rank - 1)]),
            "cmc": [float(v) for v in cmc], "num_evaluations": n}


def average_query_expansion(qf: np.ndarray, gf: np.ndarray, dist: np.ndarray, k: int) -> np.ndarray:
    """Average query expansion (Chum et al. 2007): each query becomes the mean of itself and its
    top-k gallery features of the first ranking (stable order; no labels used), re-normalised when
    the input queries were unit length. ``k=0`` returns the queries unchanged."""
    qf = np.asarray(qf, np.float32)
    if k <= 0:
        return qf
    k = min(k, dist.shape[1])
    vals, idx = torch.topk(torch.from_numpy(np.ascontiguousarray(dist)), k, dim=1, largest=False, sorted=True)
    vals, idx = vals.numpy(), idx.numpy()
    top = np.stack([idx[i][np.lexsort((idx[i], vals[i]))] for i in range(len(idx))])  # ties by gallery order
    out = (qf + np.asarray(gf, np.float32)[top].sum(1)) / (k + 1)
    norms = np.linalg.norm(qf, axis=1)
    if np.allclose(norms, 1.0, atol=1e-3):
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out.astype(np.float32)
