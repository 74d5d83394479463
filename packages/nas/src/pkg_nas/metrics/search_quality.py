"""Search-quality metrics against an architecture dataset (spec §7.2).

* Hit@k(L): the searched a*_L is among the k best of A_L by dataset mean accuracy. The tolerant
  variant counts as tied every assignment whose mean is within ``tol`` (e.g. the seed std) of the
  k-th best.
* Regret(L) = max_{a in A_L} Acc(a) - Acc(a*_L) (dataset means).
* Consistency = fraction of depths with Hit@1.
* Kendall tau-b (ties handled, as ``scipy.stats.kendalltau``'s default) and Spearman rho (Pearson
  correlation of average ranks, as ``scipy.stats.spearmanr``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float:
    """tau_b = (C - D) / sqrt((n0 - n1)(n0 - n2)) with n1, n2 the pairs tied in x, in y."""
    n = len(x)
    if n != len(y):
        raise ValueError("x and y differ in length")
    c = d = tx = ty = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                tx += 1
                ty += 1
            elif dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif (dx > 0) == (dy > 0):
                c += 1
            else:
                d += 1
    n0 = n * (n - 1) // 2
    denom = math.sqrt((n0 - tx) * (n0 - ty))
    return (c - d) / denom if denom > 0 else float("nan")


def average_ranks(v: Sequence[float]) -> list[float]:
    order = sorted(range(len(v)), key=lambda i: v[i])
    ranks = [0.0] * len(v)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman_rho(x: Sequence[float], y: Sequence[float]) -> float:
    rx, ry = average_ranks(x), average_ranks(y)
    n = len(rx)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    return cov / math.sqrt(vx * vy) if vx > 0 and vy > 0 else float("nan")


def rank_in(acc: Mapping, a, pool: Sequence) -> int:
    """1-based rank of ``a`` among ``pool`` by accuracy (1 + number of strictly better)."""
    return 1 + sum(1 for b in pool if acc[b] > acc[a])


def hit_at_k(acc: Mapping, a, pool: Sequence, k: int, tol: float = 0.0) -> bool:
    """Strict (tol=0): rank <= k. Tolerant: acc(a) >= (k-th best accuracy) - tol."""
    vals = sorted((acc[b] for b in pool), reverse=True)
    kth = vals[min(k, len(vals)) - 1]
    return acc[a] >= kth - tol


def regret(acc: Mapping, a, pool: Sequence) -> float:
    return max(acc[b] for b in pool) - acc[a]
