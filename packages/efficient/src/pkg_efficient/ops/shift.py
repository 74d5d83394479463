"""Shift operations of paper A: grouped (ShiftNet), active/bilinear (ASL) and the sparse,
quantization-aware shift (SSL), plus the inference-only :class:`IntegerShift2d`.

Sign convention (tested): content moves by +displacement,
``out[n, c, i, j] = x[n, c, i - a_c, j - b_c]``; sources outside the map read 0 (``zeros``) or the
nearest border pixel (``border``). Displacements are a (C, 2) tensor of (a_c, b_c) = (rows, cols).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Padding = Literal["zeros", "border"]
ShiftMode = Literal["ssl", "active", "grouped", "none"]
QAGrad = Literal["at_real", "at_rounded"]


def round_half_away(t: torch.Tensor) -> torch.Tensor:
    """R(t) = sign(t) * floor(|t| + 0.5): ties go away from zero (torch.round goes to even)."""
    return torch.sign(t) * torch.floor(t.abs() + 0.5)


def shift_int(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, padding: Padding = "zeros") -> torch.Tensor:
    """Per-channel integer shift, differentiable w.r.t. ``x`` (the training path).

    ``a``/``b`` are integer tensors of shape (C,). The map is padded once and every group of
    channels sharing a displacement is cut out with one slice (few distinct displacements
    exist in practice), then the channels are put back in order.
    """
    n, c, h, w = x.shape
    a = a.detach().to(torch.long).clamp(-h, h).cpu()
    b = b.detach().to(torch.long).clamp(-w, w).cpu()
    if not bool((a != 0).any() or (b != 0).any()):
        return x
    ph, pw = int(a.abs().max()), int(b.abs().max())
    xp = F.pad(x, (pw, pw, ph, ph), mode="constant" if padding == "zeros" else "replicate")
    keys = (a + h) * (2 * w + 1) + (b + w)
    uniq, inverse = torch.unique(keys, return_inverse=True)
    if len(uniq) == 1:
        ai, bi = int(a[0]), int(b[0])
        return xp[:, :, ph - ai:ph - ai + h, pw - bi:pw - bi + w]
    order = torch.argsort(inverse, stable=True)
    pieces = []
    for u in range(len(uniq)):
        idx = order[(inverse[order] == u)]
        ai, bi = int(a[idx[0]]), int(b[idx[0]])
        pieces.append(xp[:, idx.to(x.device), ph - ai:ph - ai + h, pw - bi:pw - bi + w])
    out = torch.cat(pieces, dim=1)
    return out.index_select(1, torch.argsort(order).to(x.device))


def _bilinear_terms(x: torch.Tensor, disp: torch.Tensor, padding: Padding):
    """The four integer shifts and weights of the floor decomposition at real ``disp``.

    With u = i - alpha, p = floor(u): x~[p, q] is the integer shift by A0 = ceil(alpha) and
    f = A0 - alpha (likewise B0, g for columns).
    """
    a0 = torch.ceil(disp[:, 0].detach())
    b0 = torch.ceil(disp[:, 1].detach())
    f = (a0 - disp[:, 0]).view(1, -1, 1, 1)
    g = (b0 - disp[:, 1]).view(1, -1, 1, 1)
    a0l, b0l = a0.long(), b0.long()
    s00 = shift_int(x, a0l, b0l, padding)
    s10 = shift_int(x, a0l - 1, b0l, padding)
    s01 = shift_int(x, a0l, b0l - 1, padding)
    s11 = shift_int(x, a0l - 1, b0l - 1, padding)
    return s00, s10, s01, s11, f, g


def bilinear_shift(x: torch.Tensor, disp: torch.Tensor, padding: Padding = "zeros") -> torch.Tensor:
    """Active shift (ASL): bilinear interpolation at real displacements.

    Autograd through the floor decomposition gives the spec's derivative, also at integer
    displacements (where f = g = 0 and the one-sided difference is returned).
    """
    s00, s10, s01, s11, f, g = _bilinear_terms(x, disp, padding)
    return (1 - f) * (1 - g) * s00 + f * (1 - g) * s10 + (1 - f) * g * s01 + f * g * s11


class _QAShift(torch.autograd.Function):
    """SSL forward = integer shift of R(disp); backward: adjoint shift for x, bilinear STE for disp."""

    @staticmethod
    def forward(ctx, x, disp, qa_grad: str, padding: str):
        r = round_half_away(disp.detach())
        ctx.save_for_backward(x, disp)
        ctx.qa_grad, ctx.padding = qa_grad, padding
        return shift_int(x, r[:, 0].long(), r[:, 1].long(), padding)

    @staticmethod
    def backward(ctx, grad_out):
        x, disp = ctx.saved_tensors
        r = round_half_away(disp.detach())
        ra, rb = r[:, 0].long(), r[:, 1].long()
        grad_x = grad_disp = None
        if ctx.needs_input_grad[0]:
            if ctx.padding == "zeros":
                grad_x = shift_int(grad_out, -ra, -rb, "zeros")  # exact adjoint
            else:
                with torch.enable_grad():
                    xd = x.detach().requires_grad_(True)
                    (grad_x,) = torch.autograd.grad(shift_int(xd, ra, rb, "border"), xd, grad_out)
        if ctx.needs_input_grad[1]:
            at = disp.detach() if ctx.qa_grad == "at_real" else r
            s00, s10, s01, s11, f, g = _bilinear_terms(x.detach(), at, ctx.padding)
            f, g = f.detach(), g.detach()
            da = (1 - g) * (s00 - s10) + g * (s01 - s11)
            db = (1 - f) * (s00 - s01) + f * (s10 - s11)
            grad_disp = torch.stack(
                [(grad_out * da).sum(dim=(0, 2, 3)), (grad_out * db).sum(dim=(0, 2, 3))], dim=1
            ).to(disp.dtype)
        return grad_x, grad_disp, None, None


def qa_shift(x: torch.Tensor, disp: torch.Tensor, qa_grad: QAGrad = "at_real", padding: Padding = "zeros"):
    """Quantization-aware shift of the SSL (see :class:`_QAShift`)."""
    return _QAShift.apply(x, disp, qa_grad, padding)


def grouped_offsets(channels: int, kernel_size: int = 3) -> torch.Tensor:
    """ShiftNet's fixed offsets: k*k equal groups, one offset each (row-major), leftovers (0, 0)."""
    r = (kernel_size - 1) // 2
    offs = [(a, b) for a in range(-r, r + 1) for b in range(-r, r + 1)]
    per = channels // len(offs)
    out = torch.zeros(channels, 2, dtype=torch.long)
    for gi, (a, b) in enumerate(offs):
        out[gi * per:(gi + 1) * per] = torch.tensor([a, b])
    return out


def _subsample(x: torch.Tensor, stride: int) -> torch.Tensor:
    return x if stride == 1 else x[:, :, ::stride, ::stride]


class SparseShift2d(nn.Module):
    """One module for the shift family: ``ssl`` (default), ``active``, ``grouped``, ``none``.

    A strided shift is the shift followed by taking every s-th pixel (equivalent to stride s on
    the following 1x1 convolution). ``penalty()`` returns the unscaled L1 sum of displacements
    (the trainer multiplies by lambda), optionally weighted by the map area H*W.
    """

    def __init__(
        self,
        channels: int,
        mode: ShiftMode = "ssl",
        init_range: float = 1.0,
        padding: Padding = "zeros",
        qa_grad: QAGrad = "at_real",
        stride: int = 1,
        kernel_size: int = 3,
        max_disp: float | None = None,
    ) -> None:
        super().__init__()
        self.channels, self.mode, self.padding = channels, mode, padding
        self.qa_grad, self.stride, self.max_disp = qa_grad, stride, max_disp
        self.last_hw = 1
        if mode in ("ssl", "active"):
            self.disp = nn.Parameter(torch.empty(channels, 2).uniform_(-init_range, init_range))
        elif mode == "grouped":
            self.register_buffer("fixed", grouped_offsets(channels, kernel_size))
        elif mode != "none":
            raise ValueError(f"unknown shift mode {mode!r}")

    def extra_repr(self) -> str:
        return f"{self.channels}, mode={self.mode}, stride={self.stride}, padding={self.padding}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.last_hw = x.shape[-2] * x.shape[-1]
        if self.mode == "none" or x.is_meta:  # meta tensors: shapes only (cost counting)
            y = x
        elif self.mode == "grouped":
            y = shift_int(x, self.fixed[:, 0], self.fixed[:, 1], self.padding)
        else:
            disp = self.disp if self.max_disp is None else self.disp.clamp(-self.max_disp, self.max_disp)
            if self.mode == "active":
                y = bilinear_shift(x, disp, self.padding)
            else:
                y = qa_shift(x, disp, self.qa_grad, self.padding)
        return _subsample(y, self.stride)

    def penalty(self, weighting: Literal["none", "hw"] = "none") -> torch.Tensor:
        if self.mode not in ("ssl", "active"):
            return torch.zeros(())
        p = self.disp.abs().sum()
        return p * self.last_hw if weighting == "hw" else p

    def int_displacements(self) -> torch.Tensor:
        """The integer displacements used at inference, (C, 2) long."""
        if self.mode == "none":
            return torch.zeros(self.channels, 2, dtype=torch.long)
        if self.mode == "grouped":
            return self.fixed.clone()
        d = self.disp.detach()
        if self.max_disp is not None:
            d = d.clamp(-self.max_disp, self.max_disp)
        return round_half_away(d).long()

    def stats(self) -> dict:
        d = self.int_displacements()
        moved = int((d != 0).any(dim=1).sum())
        mag = d.abs().sum(dim=1)
        hist = {int(k): int(v) for k, v in zip(*torch.unique(mag, return_counts=True))}
        return {"channels": self.channels, "moved_channels": moved,
                "sparsity": 1.0 - moved / max(self.channels, 1), "histogram": hist}

    def to_inference(self) -> IntegerShift2d:
        if self.mode == "active":
            raise ValueError("an active (bilinear) shift has no exact integer inference form")
        return IntegerShift2d(self.int_displacements(), stride=self.stride, padding=self.padding)


def _runs(disp: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Maximal runs of consecutive channels with the same displacement: (start, stop, a, b)."""
    runs: list[tuple[int, int, int, int]] = []
    start = 0
    for c in range(1, len(disp) + 1):
        if c == len(disp) or disp[c] != disp[start]:
            runs.append((start, c, disp[start][0], disp[start][1]))
            start = c
    return runs


def _shift_slice(xs: torch.Tensor, a: int, b: int, padding: str) -> torch.Tensor:
    """Shift a channel slice by a constant (a, b) with Pad + Slice only (ONNX friendly)."""
    h, w = xs.shape[-2:]
    if a == 0 and b == 0:
        return xs
    mode = "constant" if padding == "zeros" else "replicate"
    pa, pb = min(abs(a), h), min(abs(b), w)
    xp = F.pad(xs, (pb if b > 0 else 0, pb if b < 0 else 0, pa if a > 0 else 0, pa if a < 0 else 0), mode=mode)
    i0 = 0 if a >= 0 else pa
    j0 = 0 if b >= 0 else pb
    return xp[:, :, i0:i0 + h, j0:j0 + w]


class IntegerShift2d(nn.Module):
    """Inference shift with fixed integer displacements (§2.4 of the spec).

    Channels with the same displacement that sit next to each other are handled with one slice
    operation; after :func:`pkg_efficient.ops.fold.permute_sandwich` unmoved channels form one
    leading block. ``inplace_ok=True`` shifts the moved groups inside the input tensor and never
    touches unmoved channels; ``export_mode=True`` builds the output with Pad/Slice/Concat only.
    A layer with no moved channel returns its input.
    """

    def __init__(self, disp: torch.Tensor, stride: int = 1, padding: Padding = "zeros",
                 inplace_ok: bool = False, export_mode: bool = False) -> None:
        super().__init__()
        self.register_buffer("disp", disp.detach().long().clone())
        self.stride, self.padding = stride, padding
        self.inplace_ok, self.export_mode = inplace_ok, export_mode
        self._runs = _runs([tuple(map(int, r)) for r in self.disp.tolist()])
        self.moved_channels = int((self.disp != 0).any(dim=1).sum())

    def extra_repr(self) -> str:
        return f"{self.disp.shape[0]}, moved={self.moved_channels}, runs={len(self._runs)}, stride={self.stride}"

    def _load_from_state_dict(self, *args, **kwargs):  # recompute runs after loading weights
        super()._load_from_state_dict(*args, **kwargs)
        self._runs = _runs([tuple(map(int, r)) for r in self.disp.tolist()])
        self.moved_channels = int((self.disp != 0).any(dim=1).sum())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.moved_channels == 0:
            return _subsample(x, self.stride)
        if self.export_mode:
            pieces = [_shift_slice(x[:, s:e], a, b, self.padding) for s, e, a, b in self._runs]
            return _subsample(torch.cat(pieces, dim=1) if len(pieces) > 1 else pieces[0], self.stride)
        if self.inplace_ok and not torch.is_grad_enabled():
            out = x
            for s, e, a, b in self._runs:
                if a or b:
                    out[:, s:e] = _shift_slice(x[:, s:e].clone(), a, b, self.padding)
            return _subsample(out, self.stride)
        out = torch.empty_like(x)
        for s, e, a, b in self._runs:
            out[:, s:e] = _shift_slice(x[:, s:e], a, b, self.padding)
        return _subsample(out, self.stride)
