"""Shift family: sign convention, rounding, gradients, inference path, dtypes (spec §8 items 1-6)."""

import pytest
import torch

from pkg_efficient.models.blocks import ShiftUnit
from pkg_efficient.ops.fold import shift_permutation, to_inference, unit_to_inference
from pkg_efficient.ops.shift import (
    IntegerShift2d,
    SparseShift2d,
    bilinear_shift,
    grouped_offsets,
    qa_shift,
    round_half_away,
    shift_int,
)


def roll_reference(x, disp):
    """Independent reference: torch.roll then zero the rows/cols that wrapped around."""
    out = torch.empty_like(x)
    h, w = x.shape[-2:]
    for c, (a, b) in enumerate(disp.tolist()):
        y = torch.roll(x[:, c], shifts=(a, b), dims=(-2, -1)) if abs(a) < h and abs(b) < w else torch.zeros_like(x[:, c])
        if a > 0:
            y[:, :a] = 0
        elif a < 0:
            y[:, a:] = 0
        if b > 0:
            y[:, :, :b] = 0
        elif b < 0:
            y[:, :, b:] = 0
        out[:, c] = y
    return out


@pytest.mark.parametrize("h,w", [(5, 6), (1, 7), (4, 1), (3, 3)])
def test_integer_shift_matches_roll_reference(h, w):
    g = torch.Generator().manual_seed(h * 10 + w)
    x = torch.randn(2, 12, h, w, generator=g)
    disp = torch.randint(-5, 6, (12, 2), generator=g)
    ref = roll_reference(x, disp)
    assert torch.equal(shift_int(x, disp[:, 0], disp[:, 1]), ref)
    assert torch.equal(IntegerShift2d(disp)(x), ref)
    assert torch.equal(IntegerShift2d(disp, export_mode=True)(x), ref)
    assert torch.equal(IntegerShift2d(disp, inplace_ok=True)(x.clone()), ref)


def test_sign_convention_content_moves_by_plus_displacement():
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 2, 2] = 1
    y = shift_int(x, torch.tensor([1]), torch.tensor([-2]))
    assert y[0, 0, 3, 0] == 1 and y.sum() == 1


def test_border_padding_replicates_edge():
    x = torch.arange(4.0).view(1, 1, 1, 4)
    y = shift_int(x, torch.tensor([0]), torch.tensor([2]), "border")
    assert y.flatten().tolist() == [0.0, 0.0, 0.0, 1.0]
    assert torch.equal(IntegerShift2d(torch.tensor([[0, 2]]), padding="border")(x), y)


def test_round_half_away_from_zero():
    t = torch.tensor([0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49, -0.51])
    assert round_half_away(t).tolist() == [1, -1, 2, -2, 3, -3, 0, -1]


def test_bilinear_gradcheck_non_integer():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 3, 5, 4, dtype=torch.float64, generator=g, requires_grad=True)
    d = torch.tensor([[0.3, -1.2], [1.7, 0.4], [-0.6, -0.35]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, d: bilinear_shift(x, d), (x, d))


def test_bilinear_at_integer_equals_integer_shift_and_floor_gradient():
    x = torch.randn(2, 2, 6, 6, dtype=torch.float64)
    d = torch.tensor([[1.0, -2.0], [0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    y = bilinear_shift(x, d)
    assert torch.allclose(y, shift_int(x, torch.tensor([1, 0]), torch.tensor([-2, 0])))
    y.sum().backward()
    # floor decomposition at integers: d/dalpha = S(a, b) - S(a-1, b) summed
    a, b = torch.tensor([1, 0]), torch.tensor([-2, 0])
    expect = (shift_int(x, a, b) - shift_int(x, a - 1, b)).sum(dim=(0, 2, 3))
    assert torch.allclose(d.grad[:, 0], expect)


def test_qa_shift_forward_backward():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 4, 6, 5, dtype=torch.float64, generator=g, requires_grad=True)
    d = torch.tensor([[0.4, -1.6], [1.5, 0.2], [-2.5, 2.49], [0.1, -0.7]], dtype=torch.float64, requires_grad=True)
    r = round_half_away(d.detach()).long()
    y = qa_shift(x, d)
    assert torch.equal(y, shift_int(x.detach(), r[:, 0], r[:, 1]))
    gout = torch.randn_like(y)
    y.backward(gout)
    assert torch.allclose(x.grad, shift_int(gout, -r[:, 0], -r[:, 1]))  # adjoint
    d2 = d.detach().clone().requires_grad_(True)
    bilinear_shift(x.detach(), d2).backward(gout)
    assert torch.allclose(d.grad, d2.grad)  # STE = bilinear derivative at the real value


def test_qa_shift_at_rounded_mode():
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64)
    d = torch.tensor([[0.4, 0.0], [1.2, -0.6]], dtype=torch.float64, requires_grad=True)
    y = qa_shift(x, d, qa_grad="at_rounded")
    gout = torch.randn_like(y)
    y.backward(gout)
    d2 = round_half_away(d.detach()).requires_grad_(True)
    bilinear_shift(x, d2).backward(gout)
    assert torch.allclose(d.grad, d2.grad)


def test_dtypes_and_channels_last_bit_exact():
    x = torch.randn(2, 8, 7, 7)
    disp = torch.randint(-3, 4, (8, 2))
    ref = shift_int(x, disp[:, 0], disp[:, 1])
    for dt in (torch.float16, torch.bfloat16):
        assert torch.equal(shift_int(x.to(dt), disp[:, 0], disp[:, 1]), ref.to(dt))
        assert torch.equal(IntegerShift2d(disp)(x.to(dt)), ref.to(dt))
    xc = x.to(memory_format=torch.channels_last)
    assert torch.equal(shift_int(xc, disp[:, 0], disp[:, 1]), ref)
    assert torch.equal(IntegerShift2d(disp)(xc), ref)


def test_zero_displacement_layer_does_no_copy():
    x = torch.randn(1, 4, 5, 5)
    layer = IntegerShift2d(torch.zeros(4, 2, dtype=torch.long), inplace_ok=True)
    with torch.no_grad():
        assert layer(x).data_ptr() == x.data_ptr()


def test_inplace_mode_leaves_unmoved_channels_untouched():
    disp = torch.tensor([[0, 0], [0, 0], [1, 0], [0, -1]])
    x = torch.randn(1, 4, 5, 5)
    ptr, unmoved = x.data_ptr(), x[:, :2].clone()
    with torch.no_grad():
        y = IntegerShift2d(disp, inplace_ok=True)(x)
    assert y.data_ptr() == ptr and torch.equal(y[:, :2], unmoved)


def test_permutation_folding_is_exact():
    torch.manual_seed(0)
    unit = ShiftUnit(6, 12, 5, stride=2, shift={"init_range": 1.5})
    for m in unit.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    unit.eval()
    x = torch.randn(3, 6, 9, 9)
    with torch.no_grad():
        ref = unit(x)
        seq = unit_to_inference(unit)
        assert torch.allclose(seq(x), ref, atol=1e-5)
    disp = seq[2].disp
    moved = (disp != 0).any(dim=1)
    # unmoved channels come first, then groups of equal displacement are contiguous
    assert not moved[: int((~moved).sum())].any()
    assert len(seq[2]._runs) == len({tuple(r) for r in disp.tolist()})
    perm = shift_permutation(unit.shift.int_displacements())
    assert sorted(perm.tolist()) == list(range(12))


def test_penalty_and_stats():
    s = SparseShift2d(4)
    with torch.no_grad():
        s.disp.copy_(torch.tensor([[0.2, -0.4], [1.6, 0.0], [-0.5, 0.3], [0.0, 2.6]]))
    assert torch.isclose(s.penalty(), torch.tensor(0.6 + 1.6 + 0.8 + 2.6))
    st = s.stats()
    # rounded: (0,0), (2,0), (-1,0), (0,3)
    assert st["moved_channels"] == 3 and st["sparsity"] == pytest.approx(0.25)
    assert st["histogram"] == {0: 1, 1: 1, 2: 1, 3: 1}


def test_grouped_offsets():
    off = grouped_offsets(20, 3)
    assert off[:2].tolist() == [[-1, -1], [-1, -1]] and off[8:10].tolist() == [[0, 0], [0, 0]]
    assert off[18:].tolist() == [[0, 0], [0, 0]]  # leftovers
    assert len({tuple(o) for o in off[:18].tolist()}) == 9


def test_to_inference_whole_network():
    from pkg_efficient.models import build_model

    torch.manual_seed(0)
    m = build_model("fenet_r_0.25", num_classes=10, stem_stride=1).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        ref = m(x)
        for kw in ({}, {"inplace_ok": True}, {"export_mode": True}):
            assert torch.allclose(to_inference(m, **kw)(x), ref, atol=1e-5)


def test_grouped_kernel_size_is_a_config_option():
    """Spec §2.2: the grouped shift's virtual kernel size k (default 3) is configurable (it was fixed at 3)."""
    from pkg_efficient.config import ModelConfig, RunConfig, ShiftConfig, check_run_config
    from pkg_efficient.engine.modelio import build_from_config
    from pkg_shared.errors import ConfigError

    cfg = ModelConfig(name="shift_resnet20", num_classes=10, expansion=1, shift=ShiftConfig(mode="grouped", kernel_size=5))
    m = build_from_config(cfg)
    offs = torch.cat([s.fixed for s in m.modules() if isinstance(s, SparseShift2d)])
    assert int(offs.abs().max()) == 2
    with pytest.raises(ConfigError, match="kernel_size"):
        check_run_config(RunConfig(model=ModelConfig(shift=ShiftConfig(kernel_size=4))))


def test_bench_shift_includes_grouped_shift():
    """Spec §2.4: efficient-bench times depthwise 3x3, the grouped shift and SSL at several sparsities."""
    from pkg_efficient.bench import bench_shift

    res = bench_shift(channels=18, hw=8, repeat=1, sparsities=(0.5,))
    assert [r["name"].split("_vs_")[0] for r in res] == ["ssl_sparsity_0.50", "grouped_shift"]
    assert res[1]["sparsity"] == pytest.approx(1 / 9) and res[1]["speedup"] > 0
