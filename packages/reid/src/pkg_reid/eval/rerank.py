"""k-reciprocal re-ranking (Zhong et al., CVPR 2017), written from the paper's algorithm.

Over all probes+gallery items (N = Q + G), with original distances d:
1. d is squared and each row divided by its maximum (ranking-preserving);
2. R(i, k1): the k1-reciprocal neighbours of i (j in the k1+1 nearest of i and i in those of j);
   expanded by R(j, k1/2) of each member j when at least 2/3 of R(j, k1/2) lies in R(i, k1);
3. V_i[j] = exp(-d(i, j)) on the expanded set, normalised to sum 1;
4. local query expansion: V_i <- mean of V over the k2 nearest neighbours of i;
5. Jaccard distance d_J(i, j) = 1 - sum_k min(V_i, V_j) / sum_k max(V_i, V_j);
6. final = (1 - lambda) d_J + lambda d (probe rows, gallery columns).
Memory is O(N^2) like the reference; fine for Market-sized sets on a machine with a few GB.
"""

from __future__ import annotations

import numpy as np


def _k_reciprocal(initial_rank: np.ndarray, i: int, k: int) -> np.ndarray:
    forward = initial_rank[i, : k + 1]
    backward = initial_rank[forward, : k + 1]
    return forward[np.any(backward == i, axis=1)]


def re_ranking(q_g: np.ndarray, q_q: np.ndarray, g_g: np.ndarray, k1: int = 20, k2: int = 6,
               lambda_value: float = 0.3) -> np.ndarray:
    q = q_g.shape[0]
    full = np.block([[q_q, q_g], [q_g.T, g_g]]).astype(np.float64)
    full = full ** 2
    full = full / np.maximum(full.max(axis=1, keepdims=True), 1e-12)
    n = full.shape[0]
    k1 = min(k1, n - 1)
    initial_rank = np.argsort(full, axis=1, kind="stable")
    V = np.zeros((n, n), dtype=np.float32)
    half = int(round(k1 / 2))
    for i in range(n):
        rec = _k_reciprocal(initial_rank, i, k1)
        expanded = rec
        for j in rec:
            cand = _k_reciprocal(initial_rank, j, half)
            if len(np.intersect1d(cand, rec)) > 2.0 / 3.0 * len(cand):
                expanded = np.append(expanded, cand)
        expanded = np.unique(expanded)
        w = np.exp(-full[i, expanded])
        V[i, expanded] = w / w.sum()
    if k2 > 1:
        V = np.stack([V[initial_rank[i, :k2]].mean(axis=0) for i in range(n)])
    jaccard = np.zeros((q, n), dtype=np.float64)
    for i in range(q):
        # rows of V sum to 1, so sum(max) = 2 - sum(min); only columns where V_i > 0 contribute
        nz = np.nonzero(V[i])[0]
        mins = np.minimum(V[i, nz][None, :], V[:, nz]).sum(axis=1)
        jaccard[i] = 1.0 - mins / (2.0 - mins)
    final = (1.0 - lambda_value) * jaccard + lambda_value * full[:q]
    return final[:, q:]
