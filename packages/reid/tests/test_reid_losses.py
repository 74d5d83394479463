"""Triplet losses against brute-force loops written independently here."""

import itertools

import pytest
import torch

from pkg_reid.losses import distance_matrix, triplet_loss


def _brute_batch_hard(x, y, m):
    n = len(x)
    vals = []
    for a in range(n):
        pos = [torch.dist(x[a], x[p]).item() for p in range(n) if p != a and y[p] == y[a]]
        neg = [torch.dist(x[a], x[q]).item() for q in range(n) if y[q] != y[a]]
        if pos and neg:
            vals.append(max(0.0, m + max(pos) - min(neg)))
    return sum(vals) / len(vals), sum(v > 0 for v in vals) / len(vals)


def test_batch_hard_matches_brute_force():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(12, 5, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    for m in (0.1, 1.0, 3.0):
        st = triplet_loss(x, y, m)
        ref, active = _brute_batch_hard(x, y, m)
        assert st.loss.item() == pytest.approx(ref, rel=1e-5)
        assert st.active_frac == pytest.approx(active)


def test_zero_loss_and_zero_grad_when_margin_satisfied():
    x = torch.tensor([[0.0, 0.0], [0.0, 0.1], [5.0, 0.0], [5.0, 0.1]], requires_grad=True)
    y = torch.tensor([0, 0, 1, 1])
    st = triplet_loss(x, y, margin=1.0)
    st.loss.backward()
    assert st.loss.item() == 0.0
    assert st.active_frac == 0.0
    assert torch.count_nonzero(x.grad) == 0


def test_single_image_identity_is_skipped_not_crashing():
    x = torch.randn(5, 3)
    y = torch.tensor([0, 0, 1, 1, 2])  # identity 2 has one image -> anchor skipped
    st = triplet_loss(x, y, 0.3)
    assert st.num_anchors == 4
    st_all_single = triplet_loss(torch.randn(3, 3, requires_grad=True), torch.tensor([0, 1, 2]), 0.3)
    assert st_all_single.num_anchors == 0 and st_all_single.loss.item() == 0.0
    st_all_single.loss.backward()


def test_batch_all_matches_brute_force():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 4, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    m = 0.5
    vals = []
    for a, p, q in itertools.product(range(8), repeat=3):
        if a != p and y[a] == y[p] and y[q] != y[a]:
            vals.append(max(0.0, m + torch.dist(x[a], x[p]).item() - torch.dist(x[a], x[q]).item()))
    act = [v for v in vals if v > 0]
    st = triplet_loss(x, y, m, kind="batch_all")
    assert st.loss.item() == pytest.approx(sum(act) / len(act), rel=1e-6)
    assert st.active_frac == pytest.approx(len(act) / len(vals))


def test_soft_margin_and_squared_distance():
    x = torch.randn(6, 3, dtype=torch.float64)
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    d = torch.cdist(x, x)
    assert torch.allclose(distance_matrix(x), d, atol=1e-6)
    assert torch.allclose(distance_matrix(x, squared=True), d ** 2, atol=1e-6)
    st = triplet_loss(x, y, 0.0, kind="soft_margin")
    same = y[:, None] == y[None, :]
    dap = torch.where(same & ~torch.eye(6, dtype=torch.bool), d, torch.zeros_like(d)).max(1).values
    dan = torch.where(~same, d, torch.full_like(d, 1e9)).min(1).values
    assert st.loss.item() == pytest.approx(torch.log1p(torch.exp(dap - dan)).mean().item(), rel=1e-6)
