"""CoST operation semantics, network counts vs the spec's analytic table, weight inflation, folding."""

import pytest
import torch
import torch.nn.functional as F
import torchvision

from pkg_shared.engine import count_macs, count_params
from pkg_video.config import ModelConfig
from pkg_video.models import build_model, cost_layers, fold_cost, load_imagenet_2d
from pkg_video.models.cost_conv import CoSTConv

# Spec §3.3 (analytic counts, BN affine included): backbone params, total K400, MACs of one 8x224x224 view
SPEC = {
    "c2d_r50": (23_508_032, 24_327_632, 19.5),
    "c3d_r50": (28_193_856, 29_013_456, 24.4),
    "costa_r50": (23_514_368, 24_333_968, 27.8),
    "costb_r50": (24_265_864, 25_085_464, 27.8),
    "c2d_r101": (42_500_160, 43_319_760, 34.3),
    "costb_r101": (43_585_744, 44_405_344, 50.1),
    "costb_r101_32f": (43_623_376, 44_442_976, 58.6),
}
MIT_TOTAL = {"c2d_r50": 24_202_643, "costa_r50": 24_208_979, "costb_r50": 24_960_475}


@pytest.mark.parametrize("arch", sorted(SPEC))
def test_paper_scale_counts(arch):
    backbone, total, gmacs = SPEC[arch]
    with torch.device("meta"):
        model = build_model(ModelConfig(arch=arch, num_classes=400))
        x = torch.empty(1, 3, 32 if arch.endswith("32f") else 8, 224, 224)
    assert count_params(model) == total
    assert count_params(model.backbone) == backbone
    assert abs(count_macs(model, x) / 1e9 - gmacs) < 0.05


@pytest.mark.parametrize("arch", sorted(MIT_TOTAL))
def test_mit_head_counts(arch):
    with torch.device("meta"):
        model = build_model(ModelConfig(arch=arch, num_classes=339))
    assert count_params(model) == MIT_TOTAL[arch]


def test_c2d_backbone_equals_torchvision_resnet50_params():
    tv = torchvision.models.resnet50(weights=None)
    with torch.device("meta"):
        ours = build_model(ModelConfig(arch="c2d_r50", num_classes=1000))
    assert count_params(ours) == sum(p.numel() for p in tv.parameters())


def test_cost_layer_positions_r50_and_r101():
    with torch.device("meta"):
        r50 = build_model(ModelConfig(arch="costa_r50"))
        r101 = build_model(ModelConfig(arch="costb_r101"))
    names = [n for n, _ in cost_layers(r50)]
    assert names == ["layer1.1", "layer2.0", "layer2.2", "layer3.0", "layer3.2", "layer3.4", "layer4.0", "layer4.2"]
    assert len(cost_layers(r101)) == 16


def _explicit_kernel(w2d, view):
    """Build the 3-D kernel of a view by index loops (independent of unsqueeze)."""
    o, i = w2d.shape[:2]
    shape = {"hw": (1, 3, 3), "tw": (3, 1, 3), "th": (3, 3, 1)}[view]
    k = torch.zeros(o, i, *shape, dtype=w2d.dtype)
    for a in range(3):
        for b in range(3):
            if view == "hw":
                k[:, :, 0, a, b] = w2d[:, :, a, b]
            elif view == "tw":
                k[:, :, a, 0, b] = w2d[:, :, a, b]
            else:
                k[:, :, a, b, 0] = w2d[:, :, a, b]
    return k


PADS = {"hw": (0, 1, 1), "tw": (1, 0, 1), "th": (1, 1, 0)}


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("view_idx", [0, 1, 2])
def test_one_hot_coefficients_give_single_view_conv(stride, view_idx):
    torch.manual_seed(0)
    m = CoSTConv(4, 5, stride, variant="a").double()
    x = torch.randn(2, 4, 5, 9, 8, dtype=torch.double)
    coef = torch.zeros(3, dtype=torch.double)
    coef[view_idx] = 1
    m.coef_override = coef
    view = ("hw", "tw", "th")[view_idx]
    ref = F.conv3d(x, _explicit_kernel(m.weight.squeeze(2), view), stride=(1, stride, stride), padding=PADS[view])
    torch.testing.assert_close(m(x), ref)


def test_shared_kernel_gradient_is_sum_of_view_gradients():
    torch.manual_seed(1)
    m = CoSTConv(3, 4, variant="a").double()
    assert [n for n, _ in m.named_parameters()] == ["weight", "alpha"]
    x = torch.randn(2, 3, 4, 6, 6, dtype=torch.double)
    m(x).square().sum().backward()
    grad_total = m.weight.grad.clone()
    w = m.weight.detach().squeeze(2)
    alpha = torch.softmax(m.alpha.detach(), 0)
    grads = 0
    for k, view in enumerate(("hw", "tw", "th")):
        wv = w.clone().requires_grad_(True)
        others = sum(alpha[j].view(1, -1, 1, 1, 1) * F.conv3d(x, _explicit_kernel(w, v), padding=PADS[v])
                     for j, v in enumerate(("hw", "tw", "th")) if j != k)
        y = alpha[k].view(1, -1, 1, 1, 1) * F.conv3d(x, _explicit_kernel(wv, view), padding=PADS[view]) + others
        (g,) = torch.autograd.grad(y.square().sum(), wv)
        grads = grads + g
    torch.testing.assert_close(grad_total.squeeze(2), grads)


def test_temporal_length_one_and_strides_shapes():
    m = CoSTConv(3, 6, 2, variant="b")
    assert m(torch.randn(2, 3, 1, 9, 10)).shape == (2, 6, 1, 5, 5)
    assert m(torch.randn(1, 3, 4, 8, 8)).shape == (1, 6, 4, 4, 4)


def test_costa_init_and_costb_near_uniform():
    a = CoSTConv(3, 5, variant="a")
    alpha = a.coefficients()
    torch.testing.assert_close(alpha[:, 0], torch.tensor([0.6697, 0.1652, 0.1652]), atol=1e-4, rtol=0)
    b = CoSTConv(3, 5, variant="b")
    x = torch.randn(2, 3, 4, 6, 6)
    ab = b.coefficients(b.view_outputs(x))
    assert ab.shape == (2, 3, 5)
    torch.testing.assert_close(ab.sum(1), torch.ones(2, 5))
    assert (ab - 1 / 3).abs().max() < 0.05


def _official_costb_reference(m, x):
    """CoST(b) the way the authors' module computes it: batch-concat of pools, view(3, -1), permute."""
    w = m.weight.squeeze(2)
    hw = F.conv3d(x, w.unsqueeze(2), None, m.stride, (0, 1, 1))
    tw = F.conv3d(x, w.unsqueeze(3), None, m.stride, (1, 0, 1))
    th = F.conv3d(x, w.unsqueeze(4), None, m.stride, (1, 1, 0))
    c = m.out_channels
    pools = [F.adaptive_max_pool3d(v, 1).view(-1, c) for v in (hw, tw, th)]
    z = F.linear(torch.cat(pools, 0), m.fc1.weight).view(3, -1).permute(1, 0)
    z = F.linear(z, m.fc2.weight)
    alpha = torch.softmax(z.permute(1, 0).reshape(3, -1, c, 1, 1, 1), dim=0)
    return hw * alpha[0] + tw * alpha[1] + th * alpha[2]


def test_costb_matches_official_formulation_and_is_per_sample():
    torch.manual_seed(2)
    m = CoSTConv(4, 6, 2, variant="b").double()
    with torch.no_grad():
        m.fc1.weight.normal_(0, 0.5)
        m.fc2.weight.normal_(0, 0.5)
    x = torch.randn(3, 4, 4, 8, 8, dtype=torch.double)
    torch.testing.assert_close(m(x), _official_costb_reference(m, x))
    alpha = m.coefficients(m.view_outputs(x))
    assert not torch.allclose(alpha[0], alpha[1])
    torch.testing.assert_close(m(x[:1]), m(x)[:1])  # no cross-sample mixing


def test_fused_impl_equals_three_calls():
    torch.manual_seed(3)
    for variant in ("a", "b"):
        m = CoSTConv(4, 5, 2, variant=variant).double()
        x = torch.randn(2, 4, 3, 7, 9, dtype=torch.double)
        ref = m(x)
        m.impl = "fused"
        torch.testing.assert_close(m(x), ref)


def test_costa_fold_equals_three_view_form():
    torch.manual_seed(4)
    m = CoSTConv(4, 6, 2, variant="a")
    with torch.no_grad():
        m.alpha.normal_()
    x = torch.randn(2, 4, 5, 9, 9)
    torch.testing.assert_close(m.to_conv3d()(x), m(x), atol=1e-5, rtol=0)


def test_folded_network_equals_original():
    torch.manual_seed(5)
    cfg = ModelConfig(arch="costa_r50", num_classes=7, width=8, stage_blocks=[1, 2, 1, 1])
    model = build_model(cfg).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    ref = model(x)
    assert fold_cost(model) == len([1 for row in [[1], [1, 0], [1], [1]] for v in row if v])
    torch.testing.assert_close(model(x), ref, atol=1e-5, rtol=1e-4)


def test_imagenet_weights_copied_unchanged_and_inflated():
    torch.manual_seed(6)
    tv = torchvision.models.resnet50(weights=None)
    sd = tv.state_dict()
    for arch in ("costb_r50", "c3d_r50", "cost_noshare_r50"):
        model = build_model(ModelConfig(arch=arch, num_classes=10))
        load_imagenet_2d(model, sd)
        own = model.state_dict()
        torch.testing.assert_close(own["backbone.layer1.1.conv2.conv.weight"].squeeze(2), sd["layer1.1.conv2.weight"])
        torch.testing.assert_close(own["backbone.layer1.0.conv2.conv.weight"].squeeze(2), sd["layer1.0.conv2.weight"])
        torch.testing.assert_close(own["backbone.layer3.5.conv3.bn.weight"],
                                   sd["layer3.5.bn3.weight"])
        if arch == "c3d_r50":  # 3x1x1 conv1 of a selected block: repeated over t and divided by 3
            w = own["backbone.layer2.0.conv1.conv.weight"]
            assert w.shape[2] == 3
            for t in range(3):
                torch.testing.assert_close(w[:, :, t, 0, 0], sd["layer2.0.conv1.weight"][:, :, 0, 0] / 3)
        if arch == "cost_noshare_r50":
            torch.testing.assert_close(own["backbone.layer2.0.conv2.conv.weight_th"].squeeze(2), sd["layer2.0.conv2.weight"])


def test_cost_with_hw_only_coefficients_equals_c2d():
    torch.manual_seed(7)
    kw = dict(num_classes=5, width=8, stage_blocks=[1, 2, 1, 1], dropout=0.0)
    c2d = build_model(ModelConfig(arch="c2d_r50", **kw)).eval()
    for arch in ("costa_r50", "costb_r50"):
        cost = build_model(ModelConfig(arch=arch, **kw)).eval()
        own = cost.state_dict()
        for k, v in c2d.state_dict().items():
            own[k].copy_(v)
        for _, layer in cost_layers(cost):
            layer.coef_override = torch.tensor([1.0, 0.0, 0.0])
        x = torch.randn(2, 3, 4, 32, 32)
        torch.testing.assert_close(cost(x), c2d(x), atol=1e-5, rtol=1e-4)


def test_32f_stage_shapes():
    with torch.device("meta"):
        m = build_model(ModelConfig(arch="costb_r101_32f"))
        y = m.backbone(torch.empty(1, 3, 32, 224, 224))
    assert tuple(y.shape) == (1, 2048, 4, 7, 7)
    with torch.device("meta"):
        m8 = build_model(ModelConfig(arch="costa_r50"))
        y8 = m8.backbone(torch.empty(1, 3, 8, 256, 256))
    assert tuple(y8.shape) == (1, 2048, 4, 8, 8)


def test_unknown_arch_and_bad_mask_are_config_errors():
    from pkg_shared.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown architecture"):
        build_model(ModelConfig(arch="nope"))
    with pytest.raises(ConfigError, match="does not match"):
        build_model(ModelConfig(arch="costa_r50", selected=[[1], [1], [1], [1]]))


@pytest.mark.parametrize("groups", [1, 2])
def test_fold_keeps_dtype_and_handles_groups_and_t1(groups):
    torch.manual_seed(5)
    m = CoSTConv(4, 6, 2, variant="a", groups=groups).double()
    with torch.no_grad():
        m.alpha.normal_()
    x = torch.randn(2, 4, 1, 9, 9, dtype=torch.double)  # T = 1: the temporal views see zero padding only
    conv = m.to_conv3d()
    assert conv.weight.dtype == torch.double  # was built in float32, then rounded (diff ~4e-8)
    with torch.no_grad():
        assert m(x).shape == (2, 6, 1, 5, 5)
        torch.testing.assert_close(conv(x), m(x), atol=1e-12, rtol=0)
