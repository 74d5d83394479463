"""Per-channel integer spatial shift (the Sparse Shift Layer's inference op).

Convention: content moves by +displacement, ``out[n, c, i, j] = x[n, c, i - a_c, j - b_c]`` when
the source is inside the map, else 0. ``offsets`` is an integer (C, 2) tensor of (a_c, b_c).
The gradient w.r.t. ``x`` is the adjoint: the incoming gradient shifted by (-a_c, -b_c).
"""

from __future__ import annotations

import torch

from pkg_shared.ops._dispatch import Backend, choose, triton_available


def integer_shift_reference(x: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Pure PyTorch definition: one slice copy per channel (differentiable through autograd)."""
    if x.ndim != 4:
        raise ValueError(f"expected x of shape (N, C, H, W), got {tuple(x.shape)}")
    n, c, h, w = x.shape
    if offsets.shape != (c, 2):
        raise ValueError(f"expected offsets of shape ({c}, 2), got {tuple(offsets.shape)}")
    out = torch.zeros_like(x)
    for ch, (a, b) in enumerate(offsets.tolist()):
        a, b = int(a), int(b)
        if abs(a) >= h or abs(b) >= w:
            continue
        dst_i = slice(max(a, 0), h + min(a, 0))
        src_i = slice(max(-a, 0), h + min(-a, 0))
        dst_j = slice(max(b, 0), w + min(b, 0))
        src_j = slice(max(-b, 0), w + min(-b, 0))
        out[:, ch, dst_i, dst_j] = x[:, ch, src_i, src_j]
    return out


if triton_available():
    import triton
    import triton.language as tl

    @triton.jit
    def _shift_kernel(x_ptr, off_ptr, out_ptr, total, C, H, W, sign, BLOCK: tl.constexpr):
        pid = tl.program_id(0)
        idx = pid * BLOCK + tl.arange(0, BLOCK)
        mask = idx < total
        j = idx % W
        i = (idx // W) % H
        c = (idx // (W * H)) % C
        a = tl.load(off_ptr + 2 * c, mask=mask, other=0) * sign
        b = tl.load(off_ptr + 2 * c + 1, mask=mask, other=0) * sign
        si = i - a
        sj = j - b
        inside = mask & (si >= 0) & (si < H) & (sj >= 0) & (sj < W)
        src = idx + (si - i) * W + (sj - j)
        val = tl.load(x_ptr + src, mask=inside, other=0.0)
        tl.store(out_ptr + idx, val, mask=mask)


def _shift_triton(x: torch.Tensor, offsets: torch.Tensor, sign: int) -> torch.Tensor:
    x = x.contiguous()
    off = offsets.to(device=x.device, dtype=torch.int32).contiguous()
    out = torch.empty_like(x)
    total = x.numel()
    if total == 0:
        return out
    n, c, h, w = x.shape
    block = 1024
    grid = (triton.cdiv(total, block),)
    _shift_kernel[grid](x, off, out, total, c, h, w, sign, BLOCK=block)
    return out


class _ShiftFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(offsets)
        return _shift_triton(x, offsets, 1)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        (offsets,) = ctx.saved_tensors
        return _shift_triton(grad_out, offsets, -1), None


def integer_shift(x: torch.Tensor, offsets: torch.Tensor, *, backend: Backend = "auto") -> torch.Tensor:
    """Shift each channel of ``x`` (N, C, H, W) by its integer (a_c, b_c) with zero padding."""
    if x.ndim != 4:
        raise ValueError(f"expected x of shape (N, C, H, W), got {tuple(x.shape)}")
    if offsets.shape != (x.shape[1], 2):
        raise ValueError(f"expected offsets of shape ({x.shape[1]}, 2), got {tuple(offsets.shape)}")
    if offsets.is_floating_point():
        raise TypeError("offsets must be an integer tensor (round real displacements first)")
    if choose(backend, x) == "triton":
        return _ShiftFn.apply(x, offsets)
    return integer_shift_reference(x, offsets)
