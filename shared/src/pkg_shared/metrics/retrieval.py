"""Retrieval metrics for re-identification: CMC, mAP in two conventions, mINP.

Every query has a boolean ``good`` row (true matches) and ``junk`` row (gallery items removed from
its ranking before scoring). Ranking is by ascending distance with a *stable* sort, so equal
distances keep gallery order and results are deterministic.

AP conventions:
- ``official``: Market-1501 MATLAB code, trapezoid between precision before and at each hit,
  ``sum_i 1/n * (P_before_i + P_at_i)/2`` with ``P_before = 1`` at rank 0.
- ``non_interpolated``: mean of precision at each hit (torchreid, fast-reid).

Speed: every metric needs only the junk-free position of each good item, r = #{non-junk items
ranked before it}. ``method="count"`` (default) finds it without sorting gallery rows: r is the
number of non-junk distances strictly below the good item's distance. A row where another item
ties a good item's distance exactly falls back to the stable sort, so both methods give the same
numbers (tested, ties included); ``method="sort"`` ranks every row with a stable argsort.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

ApMode = Literal["official", "non_interpolated"]
InvalidQuery = Literal["skip", "zero"]
Method = Literal["count", "sort"]


def market_masks(
    q_ids: np.ndarray, q_cams: np.ndarray, g_ids: np.ndarray, g_cams: np.ndarray, junk_ids: tuple[int, ...] = (-1,)
) -> tuple[np.ndarray, np.ndarray]:
    """Market-1501 rules: good = same id, other camera; junk = same id same camera, or a junk id (-1)."""
    q_ids, q_cams = np.asarray(q_ids)[:, None], np.asarray(q_cams)[:, None]
    g_ids, g_cams = np.asarray(g_ids)[None, :], np.asarray(g_cams)[None, :]
    same_id = q_ids == g_ids
    same_cam = q_cams == g_cams
    good = same_id & ~same_cam
    junk = (same_id & same_cam) | np.isin(g_ids, junk_ids)
    return good & ~np.isin(g_ids, junk_ids), junk


def hit_positions(order: np.ndarray, good: np.ndarray, junk: np.ndarray) -> np.ndarray:
    """0-based positions of good items in the ranking after junk items are deleted from it."""
    g = good[order]
    keep = ~junk[order]
    return np.nonzero(g[keep])[0]


def average_precision_from_hits(hits: np.ndarray, mode: ApMode) -> float:
    n = len(hits)
    if n == 0:
        return 0.0
    i = np.arange(1, n + 1, dtype=np.float64)
    r = hits.astype(np.float64)
    p_at = i / (r + 1.0)
    if mode == "non_interpolated":
        return float(p_at.mean())
    with np.errstate(divide="ignore", invalid="ignore"):
        p_before = np.where(r == 0, 1.0, (i - 1) / np.where(r == 0, 1.0, r))
    return float(np.sum((p_before + p_at) / 2.0) / n)


def evaluate_rankings(
    dist: np.ndarray,
    good: np.ndarray,
    junk: np.ndarray | None = None,
    *,
    max_rank: int = 50,
    invalid_query: InvalidQuery = "skip",
    method: Method = "count",
) -> dict[str, object]:
    """CMC curve, mAP in both conventions and mINP from a (Q, G) distance matrix.

    ``invalid_query``: queries with no good match are skipped (torchreid) or count as zero
    (layumi's divide-by-all-queries habit). ``method``: see the module docstring (non-finite
    distances always take the sort path). The per-query AP arrays are returned for error analysis.
    """
    dist = np.asarray(dist)
    if not np.issubdtype(dist.dtype, np.floating):
        dist = dist.astype(np.float64)
    q, g = dist.shape
    good = np.asarray(good, dtype=bool)
    junk = np.zeros_like(good) if junk is None else np.asarray(junk, dtype=bool)
    if good.shape != dist.shape or junk.shape != dist.shape:
        raise ValueError("dist, good and junk must share the (num_query, num_gallery) shape")
    if method not in ("count", "sort"):
        raise ValueError(f"unknown method {method!r} (count or sort)")
    if method == "count" and np.isfinite(dist).all():
        return _metrics_from_positions(*_good_positions(dist, good, junk), max_rank, invalid_query)
    cmc = np.zeros((q, max_rank))
    ap_off = np.zeros(q)
    ap_non = np.zeros(q)
    inp = np.zeros(q)
    valid = np.zeros(q, dtype=bool)
    # Vectorised over blocks of queries (no float64 copy of the whole matrix, no per-query loop).
    chunk = max(1, min(q, (1 << 24) // max(g, 1)))
    for a in range(0, q, chunk):
        b = min(q, a + chunk)
        order = np.argsort(dist[a:b], axis=1, kind="stable")
        gd = np.take_along_axis(good[a:b], order, axis=1)
        jk = np.take_along_axis(junk[a:b], order, axis=1)
        pos = np.cumsum(~jk, axis=1) - 1  # junk-free 0-based position of each ranked item
        hit = gd & ~jk
        n_hits = hit.sum(axis=1)
        ok = n_hits > 0
        valid[a:b] = ok
        i_idx = np.cumsum(hit, axis=1).astype(np.float64)  # 1-based hit index at each hit
        r = pos.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):  # r = -1 before the first non-junk item
            p_at = np.where(hit, i_idx / (r + 1.0), 0.0)
            p_before = np.where(r == 0, 1.0, (i_idx - 1.0) / np.where(r == 0, 1.0, r))
        trap = np.where(hit, (p_before + p_at) / 2.0, 0.0)
        denom_q = np.maximum(n_hits, 1)
        ap_non[a:b] = np.where(ok, p_at.sum(axis=1) / denom_q, 0.0)
        ap_off[a:b] = np.where(ok, trap.sum(axis=1) / denom_q, 0.0)
        first = np.where(ok, np.argmax(hit, axis=1), 0)
        first_pos = pos[np.arange(b - a), first]
        last = hit.shape[1] - 1 - np.argmax(hit[:, ::-1], axis=1)
        last_pos = pos[np.arange(b - a), last]
        inp[a:b] = np.where(ok, n_hits / (last_pos + 1.0), 0.0)
        ranks = np.arange(max_rank)[None, :]
        cmc[a:b] = np.where(ok[:, None] & (ranks >= first_pos[:, None]), 1.0, 0.0)
    return _summary(cmc, ap_off, ap_non, inp, valid, max_rank, invalid_query)


def _good_positions(dist: np.ndarray, good: np.ndarray, junk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Q, n_max) ascending junk-free 0-based positions of each query's good items (-1 = padding)
    and the number of good items per query, by counting instead of sorting."""
    good = good & ~junk
    n_good = good.sum(1)
    q = dist.shape[0]
    pos = np.full((q, max(int(n_good.max()) if q else 0, 1)), -1, np.int64)
    for i in range(q):
        gi = np.flatnonzero(good[i])
        if len(gi) == 0:
            continue
        row = dist[i]
        b = np.sort(row[gi])
        v = row[~junk[i]]
        if np.count_nonzero(v[None, :] == b[:, None]) == len(gi):
            pos[i, : len(gi)] = np.count_nonzero(v[None, :] < b[:, None], axis=1)
        else:  # another item ties a good item's distance: the stable sort decides, like MATLAB
            h = hit_positions(np.argsort(row, kind="stable"), good[i], junk[i])
            pos[i, : len(h)] = h
    return pos, n_good


def _metrics_from_positions(pos: np.ndarray, n_good: np.ndarray, max_rank: int, invalid_query: str) -> dict[str, object]:
    q = len(n_good)
    valid = n_good > 0
    real = pos >= 0
    i = np.cumsum(real, axis=1).astype(np.float64)
    r = np.where(real, pos, 0).astype(np.float64)
    p_at = np.where(real, i / (r + 1.0), 0.0)
    p_before = np.where(r == 0, 1.0, (i - 1.0) / np.maximum(r, 1.0))
    denom_q = np.maximum(n_good, 1)
    ap_non = np.where(valid, p_at.sum(1) / denom_q, 0.0)
    ap_off = np.where(valid, np.where(real, (p_before + p_at) / 2.0, 0.0).sum(1) / denom_q, 0.0)
    last = pos[np.arange(q), np.maximum(n_good - 1, 0)]
    inp = np.where(valid, n_good / np.maximum(last + 1.0, 1.0), 0.0)
    cmc = np.where(valid[:, None] & (np.arange(max_rank)[None] >= pos[:, :1]), 1.0, 0.0)
    return _summary(cmc, ap_off, ap_non, inp, valid, max_rank, invalid_query)


def _summary(cmc, ap_off, ap_non, inp, valid, max_rank: int, invalid_query: str) -> dict[str, object]:
    q = len(valid)
    rows = valid if invalid_query == "skip" else np.ones(q, dtype=bool)
    denom = max(int(rows.sum()), 1)
    curve = cmc[rows].sum(axis=0) / denom
    pick = {k: float(curve[k - 1]) if max_rank >= k else float("nan") for k in (1, 5, 10, 20)}
    return {
        "cmc": curve,
        "rank1": pick[1],
        "rank5": pick[5],
        "rank10": pick[10],
        "rank20": pick[20],
        "mAP_official": float(ap_off[rows].sum() / denom),
        "mAP_non_interpolated": float(ap_non[rows].sum() / denom),
        "mINP": float(inp[rows].sum() / denom),
        "num_valid_queries": int(valid.sum()),
        "num_queries": int(q),
        "ap_official": ap_off,
        "ap_non_interpolated": ap_non,
        "valid": valid,
    }


def pairwise_distance_np(a: np.ndarray, b: np.ndarray, metric: Literal["euclidean", "sqeuclidean", "cosine"] = "euclidean") -> np.ndarray:
    """Distances between rows of ``a`` and ``b`` (float64, for evaluation)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if metric == "cosine":
        an = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
        bn = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
        return 1.0 - an @ bn.T
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    d2 = np.maximum(d2, 0.0)
    return d2 if metric == "sqeuclidean" else np.sqrt(d2)
