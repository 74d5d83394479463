"""Triton kernels against their PyTorch references (CPU under TRITON_INTERPRET=1, or CUDA)."""

import os

import pytest
import torch

from pkg_shared.ops import (
    integer_shift,
    integer_shift_reference,
    pairwise_sq_dist,
    pairwise_sq_dist_reference,
)
from pkg_shared.ops._dispatch import choose, triton_available

CAN_RUN_TRITON = triton_available() and (torch.cuda.is_available() or os.environ.get("TRITON_INTERPRET") == "1")
needs_triton = pytest.mark.skipif(not CAN_RUN_TRITON, reason="Triton not importable, or no CUDA and TRITON_INTERPRET!=1")
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def _naive_shift(x, offsets):
    """Independent element loop of out[n,c,i,j] = x[n,c,i-a,j-b] (zero outside)."""
    n, c, h, w = x.shape
    out = torch.zeros_like(x)
    for ch in range(c):
        a, b = (int(v) for v in offsets[ch])
        for i in range(h):
            for j in range(w):
                si, sj = i - a, j - b
                if 0 <= si < h and 0 <= sj < w:
                    out[:, ch, i, j] = x[:, ch, si, sj]
    return out


OFFSETS = torch.tensor([[0, 0], [1, -2], [-3, 2], [7, 0], [2, 6], [-1, -1], [0, 3]])


def test_reference_matches_element_definition():
    x = torch.randn(2, 7, 5, 6)
    torch.testing.assert_close(integer_shift_reference(x, OFFSETS), _naive_shift(x, OFFSETS), atol=0, rtol=0)


def test_reference_gradient_is_the_adjoint_shift():
    x = torch.randn(1, 7, 5, 6, dtype=torch.float64, requires_grad=True)
    g = torch.randn(1, 7, 5, 6, dtype=torch.float64)
    (integer_shift_reference(x, OFFSETS) * g).sum().backward()
    torch.testing.assert_close(x.grad, _naive_shift(g, -OFFSETS), atol=0, rtol=0)
    torch.autograd.gradcheck(lambda t: integer_shift_reference(t, OFFSETS), (x.detach().requires_grad_(),))


@needs_triton
@pytest.mark.triton
@pytest.mark.parametrize("shape", [(2, 7, 5, 6), (1, 7, 1, 9), (3, 7, 8, 3)])
def test_triton_shift_forward_backward(shape):
    torch.manual_seed(0)
    x = torch.randn(*shape, device=DEVICE)
    off = OFFSETS.to(DEVICE)
    x1 = x.clone().requires_grad_()
    x2 = x.clone().requires_grad_()
    y1 = integer_shift(x1, off, backend="triton")
    y2 = integer_shift_reference(x2, off)
    torch.testing.assert_close(y1, y2, atol=0, rtol=0)
    g = torch.randn_like(y1)
    (y1 * g).sum().backward()
    (y2 * g).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, atol=0, rtol=0)


@needs_triton
@pytest.mark.triton
def test_triton_shift_non_contiguous_input():
    x = torch.randn(2, 7, 6, 5, device=DEVICE).permute(0, 1, 3, 2)
    off = OFFSETS.to(DEVICE)
    torch.testing.assert_close(integer_shift(x, off, backend="triton"), integer_shift_reference(x, off), atol=0, rtol=0)


def test_shift_input_validation():
    x = torch.randn(1, 3, 4, 4)
    with pytest.raises(ValueError, match="offsets of shape"):
        integer_shift(x, torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(TypeError, match="integer"):
        integer_shift(x, torch.zeros(3, 2))


def test_auto_never_picks_triton_for_cpu_tensors(monkeypatch):
    monkeypatch.delenv("PKG_SHARED_OPS_BACKEND", raising=False)
    assert choose("auto", torch.zeros(1)) == "reference"
    monkeypatch.setenv("PKG_SHARED_OPS_BACKEND", "reference")
    assert choose("triton", torch.zeros(1)) == "reference"


def test_pairwise_reference_hand():
    a = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    b = torch.tensor([[3.0, 4.0]])
    assert pairwise_sq_dist_reference(a, b).ravel().tolist() == [25.0, 13.0]
    assert pairwise_sq_dist(a, b).ravel().tolist() == pytest.approx([25.0, 13.0])


@needs_triton
@pytest.mark.triton
@pytest.mark.parametrize("m, n, k", [(19, 17, 23), (1, 5, 3), (33, 33, 40)])
def test_triton_pairwise_forward_backward(m, n, k):
    torch.manual_seed(1)
    a = torch.randn(m, k, device=DEVICE)
    b = torch.randn(n, k, device=DEVICE)
    a1, b1 = a.clone().requires_grad_(), b.clone().requires_grad_()
    a2, b2 = a.clone().requires_grad_(), b.clone().requires_grad_()
    d1 = pairwise_sq_dist(a1, b1, backend="triton")
    d2 = pairwise_sq_dist_reference(a2, b2)
    torch.testing.assert_close(d1, d2, atol=1e-4, rtol=1e-5)
    g = torch.randn_like(d1)
    (d1 * g).sum().backward()
    (d2 * g).sum().backward()
    torch.testing.assert_close(a1.grad, a2.grad, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(b1.grad, b2.grad, atol=1e-4, rtol=1e-4)


@needs_triton
@pytest.mark.triton
def test_triton_pairwise_exact_zero_for_duplicates():
    a = torch.randn(4, 8, device=DEVICE) * 1000
    d = pairwise_sq_dist(a, a, backend="triton")
    assert torch.all(torch.diagonal(d) == 0)
