"""Tucker-2 / CP baselines of paper C: exactness, closed-form errors, equal-cost allocation, rebuild,
and (where the optional tensorly extra is installed) agreement with tensorly's solvers."""

import sys

import pytest
import torch
import torch.nn.functional as F

from pkg_efficient.compress.apply import decompose_model
from pkg_efficient.compress.tensor_decomp import (
    cp_decompose,
    cp_tensor,
    cp_weight,
    tucker2_decompose,
    tucker2_weight,
)
from pkg_efficient.flops import count_layers
from pkg_efficient.models.vgg import VGG
from pkg_shared.errors import ConfigError


def _conv(c=12, n=20, stride=2, padding=2, dilation=2, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Conv2d(c, n, 3, stride, padding, dilation, bias=True).double()


def test_tucker_full_rank_reproduces_layer_with_stride_padding_dilation_bias():
    conv = _conv()
    x = torch.randn(2, 12, 13, 11, dtype=torch.float64)
    seq = tucker2_decompose(conv, 20, 12)
    assert (seq(x) - conv(x)).abs().max() < 1e-10


def test_tucker_with_full_input_rank_error_is_discarded_mode0_energy():
    """With r_in = c the optimum is the truncated SVD of the mode-0 unfolding (closed form)."""
    conv = _conv()
    w = conv.weight.detach()
    s = torch.linalg.svdvals(w.reshape(20, -1))
    seq = tucker2_decompose(conv, 7, 12)
    err = float(((tucker2_weight(seq) - w) ** 2).sum())
    assert err == pytest.approx(float((s[7:] ** 2).sum()), rel=1e-8)


def test_tucker_layers_compute_the_equivalent_weight():
    conv = _conv()
    x = torch.randn(2, 12, 9, 9, dtype=torch.float64)
    seq = tucker2_decompose(conv, 5, 4)
    ref = F.conv2d(x, tucker2_weight(seq), conv.bias, conv.stride, conv.padding, conv.dilation)
    assert (seq(x) - ref).abs().max() < 1e-10


def test_cp_recovers_an_exact_low_rank_kernel_and_layers_compute_it():
    g = torch.Generator().manual_seed(1)
    factors = [torch.randn(n, 4, generator=g, dtype=torch.float64) for n in (10, 6, 3, 3)]
    conv = _conv(c=6, n=10)
    with torch.no_grad():
        conv.weight.copy_(cp_tensor(factors))
    seq = cp_decompose(conv, 4)
    w = conv.weight.detach()
    assert float(((cp_weight(seq) - w) ** 2).sum() / (w ** 2).sum()) < 1e-6
    x = torch.randn(2, 6, 12, 10, dtype=torch.float64)
    ref = F.conv2d(x, cp_weight(seq), conv.bias, conv.stride, conv.padding, conv.dilation)
    assert (seq(x) - ref).abs().max() < 1e-9


@pytest.mark.parametrize("method", ["tucker", "cp"])
def test_equal_cost_to_fga(method):
    torch.manual_seed(0)
    m = VGG([8, "M", 16, 24, "M", 32], batch_norm=True, num_classes=10, pool_size=1, hidden=(), dropout=0.0).eval()
    fga, _ = decompose_model(m, "fga", 16, "uniform", 4)
    new, info = decompose_model(m, method, 16, "uniform", 4)
    cost_fga = {r.name.rsplit(".", 1)[0]: 0 for r in count_layers(fga, 16)}
    for r in count_layers(fga, 16):
        cost_fga[r.name.rsplit(".", 1)[0]] += r.macs
    cost_new = {k: 0 for k in cost_fga}
    for r in count_layers(new, 16):
        cost_new[r.name.rsplit(".", 1)[0]] += r.macs
    for name in info["spec"]["layers"]:
        assert 0.5 * cost_fga[name] <= cost_new[name] <= cost_fga[name], name
    assert all(0 <= lay["rel_weight_error"] < 1 for lay in info["layers"])
    assert len(info["spec"]["layers"]) == 3
    with torch.no_grad():
        assert torch.isfinite(new(torch.randn(2, 3, 16, 16))).all()


@pytest.mark.parametrize("method", ["tucker", "cp"])
def test_checkpoint_roundtrip_rebuilds_tucker_cp(method, tmp_path):
    from pkg_efficient.engine.modelio import load_model, save_model
    from pkg_efficient.models import build_model

    torch.manual_seed(0)
    base = build_model("resnet20", num_classes=10).eval()
    layers = {"layers.0.conv1": [4, 4], "layers.7.conv2": [12, 10]} if method == "tucker" else \
        {"layers.0.conv1": [6], "layers.7.conv2": [20]}
    new, info = decompose_model(base, method, 32, layers=layers)
    spec = {"compression": {**info["spec"], "method": method, "refit": False},
            "base": {"name": "resnet20", "num_classes": 10}}
    save_model(tmp_path / "c.pt", new, spec)
    loaded, _ = load_model(tmp_path / "c.pt")
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded.eval()(x), new(x))


def test_tensorly_backend_missing_is_a_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorly", None)
    with pytest.raises(ConfigError, match=r"packages/efficient\[tensorly\]"):
        tucker2_decompose(_conv(), 4, 4, backend="tensorly")


def test_agrees_with_tensorly_where_installed():
    pytest.importorskip("tensorly")
    conv = _conv(c=16, n=24, seed=3)
    w = conv.weight.detach()
    ours = float(((tucker2_weight(tucker2_decompose(conv, 8, 6)) - w) ** 2).sum())
    theirs = float(((tucker2_weight(tucker2_decompose(conv, 8, 6, backend="tensorly")) - w) ** 2).sum())
    assert ours <= theirs * (1 + 1e-3)  # both HOOI from an HOSVD start
    ours = float(((cp_weight(cp_decompose(conv, 12)) - w) ** 2).sum())
    theirs = float(((cp_weight(cp_decompose(conv, 12, backend="tensorly")) - w) ** 2).sum())
    assert ours <= theirs * 1.05  # ALS local optima differ slightly
