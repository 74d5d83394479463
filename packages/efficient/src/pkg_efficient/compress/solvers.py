"""Least squares, LASSO channel selection (He et al. 2017) and greedy selection (ThiNet)."""

from __future__ import annotations

import torch


def ridge_lstsq(a: torch.Tensor, b: torch.Tensor, ridge: float = 1e-6) -> torch.Tensor:
    """argmin_X ||A X - B||^2 + r ||X||^2 with r = ridge * trace(A^T A) / cols (float64).

    With fewer samples than unknowns (VGG's fc6 refit: 25,089 unknowns, one row per calibration
    image) the same ridge solution comes from the samples' side, A^T (A A^T + r I)^{-1} B: a
    rows x rows system instead of cols x cols, minutes and gigabytes less.
    """
    a64, b64 = a.double(), b.double()
    if ridge <= 0:  # minimum-norm solution, rank deficiency allowed (gelsd)
        return torch.linalg.lstsq(a64, b64, driver="gelsd").solution.to(a.dtype)
    rows, cols = a64.shape
    r = ridge * a64.pow(2).sum() / max(cols, 1)  # trace(A^T A) = trace(A A^T)
    if rows < cols:
        k = a64 @ a64.T
        k.diagonal().add_(r)
        return (a64.T @ torch.linalg.solve(k, b64)).to(a.dtype)
    g = a64.T @ a64
    g.diagonal().add_(r)
    return torch.linalg.solve(g, a64.T @ b64).to(a.dtype)


def lasso_cd(gram: torch.Tensor, corr: torch.Tensor, lam: float, iters: int = 300, beta: torch.Tensor | None = None) -> torch.Tensor:
    """FISTA for min 1/2 b^T G b - c^T b + lam ||b||_1 (G = Z^T Z, c = Z^T y); vectorised."""
    g, c = gram.double(), corr.double()
    step = 1.0 / float(torch.linalg.eigvalsh(g)[-1].clamp_min(1e-12))
    beta = torch.zeros_like(c) if beta is None else beta.double().clone()
    yk, t = beta.clone(), 1.0
    for _ in range(iters):
        v = yk - step * (g @ yk - c)
        new = torch.sign(v) * torch.clamp(v.abs() - step * lam, min=0)
        t_new = (1 + (1 + 4 * t * t) ** 0.5) / 2
        yk = new + (t - 1) / t_new * (new - beta)
        if (new - beta).abs().max() < 1e-12:
            beta = new
            break
        beta, t = new, t_new
    return beta


def lasso_select(z: torch.Tensor, y: torch.Tensor, k: int, iters: int = 100) -> torch.Tensor:
    """He et al.'s channel selection: ``z`` (samples, channels) holds each channel's contribution
    to the (flattened) outputs ``y``; raise lambda (bisection) until at most k betas are non-zero,
    then keep the k largest |beta|. Returns sorted indices of the k kept channels."""
    gram, corr = z.T.double() @ z.double(), z.T.double() @ y.double()
    n = z.shape[1]
    if k >= n:
        return torch.arange(n)
    lo, hi = 0.0, float(corr.abs().max()) + 1e-12
    best, warm = None, None
    for _ in range(20):
        mid = (lo + hi) / 2
        beta = lasso_cd(gram, corr, mid, iters, warm)
        warm = beta
        nnz = int((beta != 0).sum())
        if nnz <= k:
            hi, best = mid, beta
            if nnz == k:
                break
        else:
            lo = mid
    if best is None:
        best = lasso_cd(gram, corr, hi, iters)
    score = best.abs() + 1e-12 * torch.linalg.norm(z.double(), dim=0)  # ties -> stronger channel
    return torch.sort(torch.topk(score, k).indices).values


def greedy_select(z: torch.Tensor, k: int) -> torch.Tensor:
    """ThiNet: grow the *removed* set T greedily, each time adding the channel that keeps
    sum_samples (sum_{i in T} z_i)^2 smallest; returns sorted indices of the k kept channels."""
    n = z.shape[1]
    z = z.double()
    removed: list[int] = []
    acc = torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
    remaining = set(range(n))
    colsq = (z ** 2).sum(dim=0)
    while len(remaining) > k:
        cand = torch.tensor(sorted(remaining))
        vals = 2 * (acc @ z)[cand] + colsq[cand]  # ||acc + z_c||^2 - ||acc||^2
        j = int(cand[int(torch.argmin(vals))])
        removed.append(j)
        remaining.discard(j)
        acc = acc + z[:, j]
    return torch.tensor(sorted(remaining), dtype=torch.long)


def compensate_select(y: torch.Tensor, z: torch.Tensor, k: int, ridge: float = 1e-6) -> torch.Tensor:
    """LDRF selection on its own objective: greedy forward choice of the k columns of ``y``
    (samples x neurons) whose least-squares span best reconstructs ``z`` (samples x d, the original
    embedding), i.e. min_S min_Q' ||Z - Y_S Q'||^2, the discarded neurons' information being
    compensated by the kept ones. Each step adds the neuron with the largest residual reduction
    ||c_j||^2 / g_jj, computed by deflating G = Y^T Y and C = Y^T Z (O(n^2 d) per step).
    Returns sorted indices of the k kept neurons."""
    n = y.shape[1]
    if k >= n:
        return torch.arange(n)
    y64, z64 = y.double(), z.double()
    g = y64.T @ y64
    g = g + ridge * torch.trace(g) / max(n, 1) * torch.eye(n, dtype=g.dtype)
    c = y64.T @ z64
    floor = 1e-12 * float(torch.diagonal(g).max().clamp_min(1e-300))
    chosen: list[int] = []
    free = torch.ones(n, dtype=torch.bool)
    for _ in range(k):
        diag = torch.diagonal(g).clamp_min(0)
        gain = torch.where(free & (diag > floor), c.pow(2).sum(1) / diag.clamp_min(floor), torch.full_like(diag, -1.0))
        gain = gain + 1e-12 * diag  # ties (e.g. no target left) -> the strongest remaining neuron
        j = int(torch.argmax(torch.where(free, gain, torch.full_like(gain, -float("inf")))))
        chosen.append(j)
        free[j] = False
        piv = float(g[j, j])
        if piv > floor:
            col = g[:, j] / piv ** 0.5
            cj = c[j] / piv ** 0.5
            g = g - torch.outer(col, col)
            c = c - torch.outer(col, cj)
    return torch.sort(torch.tensor(chosen, dtype=torch.long)).values
