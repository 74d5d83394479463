"""Batched pairwise squared Euclidean distance (triplet mining, retrieval).

``D[i, j] = sum_k (a[i, k] - b[j, k])^2``. The Triton kernel accumulates differences directly
(no ``|a|^2 + |b|^2 - 2ab`` cancellation), so near-duplicate embeddings get exact zeros.
"""

from __future__ import annotations

import torch

from pkg_shared.ops._dispatch import Backend, choose, triton_available


def pairwise_sq_dist_reference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Definition of correctness: broadcast difference, squared, summed (O(M N K) memory)."""
    _check(a, b)
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)


def _check(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"expected (M, K) and (N, K) tensors, got {tuple(a.shape)} and {tuple(b.shape)}")


def _pairwise_torch(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Memory-light CPU path: the expansion with clamping (what the reference would cost in RAM)."""
    d = (a * a).sum(1, keepdim=True) + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return d.clamp_min_(0.0)


if triton_available():
    import triton
    import triton.language as tl

    @triton.jit
    def _pairwise_kernel(
        a_ptr, b_ptr, out_ptr, M, N, K,
        stride_am, stride_ak, stride_bn, stride_bk, stride_om, stride_on,
        BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
    ):
        pid_m = tl.program_id(0)
        pid_n = tl.program_id(1)
        rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
        rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        for k0 in range(0, K, BLOCK_K):
            rk = k0 + tl.arange(0, BLOCK_K)
            a = tl.load(a_ptr + rm[:, None] * stride_am + rk[None, :] * stride_ak,
                        mask=(rm[:, None] < M) & (rk[None, :] < K), other=0.0).to(tl.float32)
            b = tl.load(b_ptr + rn[:, None] * stride_bn + rk[None, :] * stride_bk,
                        mask=(rn[:, None] < N) & (rk[None, :] < K), other=0.0).to(tl.float32)
            diff = a[:, None, :] - b[None, :, :]
            acc += tl.sum(diff * diff, axis=2)
        tl.store(out_ptr + rm[:, None] * stride_om + rn[None, :] * stride_on, acc,
                 mask=(rm[:, None] < M) & (rn[None, :] < N))


def _pairwise_triton(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    m, k = a.shape
    n = b.shape[0]
    out = torch.empty((m, n), device=a.device, dtype=torch.float32)
    if m == 0 or n == 0:
        return out.to(a.dtype)
    bm, bn, bk = 16, 16, 16
    grid = (triton.cdiv(m, bm), triton.cdiv(n, bn))
    _pairwise_kernel[grid](
        a, b, out, m, n, k,
        a.stride(0), a.stride(1), b.stride(0), b.stride(1), out.stride(0), out.stride(1),
        BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk,
    )
    return out.to(a.dtype)


class _PairwiseFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(a, b)
        return _pairwise_triton(a, b)

    @staticmethod
    def backward(ctx, g: torch.Tensor):
        a, b = ctx.saved_tensors
        g = g.to(a.dtype)
        grad_a = 2.0 * (g.sum(1, keepdim=True) * a - g @ b)
        grad_b = 2.0 * (g.sum(0)[:, None] * b - g.T @ a)
        return grad_a, grad_b


def pairwise_sq_dist(a: torch.Tensor, b: torch.Tensor | None = None, *, backend: Backend = "auto") -> torch.Tensor:
    """(M, N) squared distances between rows of ``a`` (M, K) and ``b`` (N, K; default ``a``)."""
    b = a if b is None else b
    _check(a, b)
    if choose(backend, a, b) == "triton":
        return _PairwiseFn.apply(a, b)
    return _pairwise_torch(a, b)
