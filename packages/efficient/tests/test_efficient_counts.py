"""Paper-scale architectures build; M-Adds / params against the spec's §1.1 / §2.5 tables.

Reference numbers come from the spec (computed by hand with the stated convention) and from the
MobileNetV2 / ResNet / VGG literature; models are built on the meta device (shapes only).
"""

import pytest
import torch
import torchvision

from pkg_efficient.flops import count, count_layers
from pkg_efficient.models import build_model
from pkg_shared.engine import count_macs


def meta(fn):
    with torch.device("meta"):
        return fn()


@pytest.mark.parametrize("build,size,mmacs,tol", [
    (lambda: torchvision.models.mobilenet_v2(), 224, 300.8, 0.05),
    (lambda: torchvision.models.mobilenet_v2(width_mult=1.4), 224, 582.2, 0.05),
    (lambda: build_model("vgg16"), 224, 15470.0, 0.5),
    (lambda: build_model("resnet50"), 224, 4089.0, 0.5),
    (lambda: build_model("resnet56"), 32, 125.49, 0.005),
    (lambda: build_model("resnet20"), 32, 40.55, 0.005),
    (lambda: build_model("vgg16_cifar"), 32, 313.2, 0.05),
    (lambda: build_model("ssl_mbv2_1.0"), 224, 280.1, 0.05),
    (lambda: build_model("ssl_mbv2_1.375"), 224, 550.7, 0.05),
    (lambda: build_model("ssl_mbv2_1.4"), 224, 552.6, 0.05),
    (lambda: build_model("fenet_r_1.0"), 224, 300.21, 0.005),
    (lambda: build_model("fenet_r_1.375"), 224, 548.47, 0.005),
])
def test_reference_madds(build, size, mmacs, tol):
    m = meta(build)
    assert count(m, size)["macs"] / 1e6 == pytest.approx(mmacs, abs=tol)


def test_vgg16_conv_only_and_params():
    c = count(meta(lambda: build_model("vgg16")), 224)
    assert c["conv_macs"] / 1e9 == pytest.approx(15.347, abs=0.0005)
    assert c["params"] == 138_357_544  # torchvision's documented VGG-16 parameter count


def test_mobilenet_v2_params_without_bn():
    c = count(meta(lambda: torchvision.models.mobilenet_v2()), 224)
    assert c["params"] / 1e6 == pytest.approx(3.47, abs=0.005)
    assert c["params"] + c["bn_params"] == 3_504_872  # torchvision's documented count incl. BN


def _fenet_by_hand(stem, widths, last, phi=0.5, size=224, classes=1000):
    """Independent arithmetic from the spec's FE-Net description (section 2.5c): weights only."""
    def md(v):
        n = max(8, int(v + 4) // 8 * 8)
        return n + 8 if n < 0.9 * v else n

    table = [(1, 1, 1), (6, 2, 2), (6, 3, 2), (6, 4, 2), (6, 3, 1), (6, 3, 2), (6, 1, 1)]
    p, c, shiftable = 27 * stem, stem, 0
    for (t, n, _), co in zip(table, widths):
        p += (c * c * t if t != 1 else 0) + c * t * co  # transition: expand (t > 1) + project
        shiftable += c * t
        c = co
        a = md(phi * c)
        p += (n - 1) * 2 * a * a * t  # FE blocks on the processed slice
        shiftable += (n - 1) * a * t
    return p + c * last + last * classes, shiftable


@pytest.mark.parametrize("name,table,spec_m", [
    ("fenet_r_1.0", (40, [24, 32, 40, 80, 120, 208, 416], 1648), 3.930),
    ("fenet_r_1.375", (56, [32, 40, 56, 112, 168, 280, 568], 2272), 6.551)])
def test_fenet_params_and_shiftable_channels(name, table, spec_m):
    """The spec's 3.930 M / 6.551 M are conv+FC *weights* (3,929,592 / 6,551,400 by hand): its
    "+ FC bias" note is off by exactly the 1,000 FC biases, which our ``params`` includes."""
    weights, shiftable = _fenet_by_hand(*table)
    c = count(meta(lambda: build_model(name)), 224)
    assert c["weight_params"] == weights
    assert round(weights / 1e6, 3) == spec_m
    assert c["params"] == weights + 1000  # + FC bias (convs have none)
    assert c["shiftable_channels"] == shiftable
    assert c["shift_params"] == 2 * shiftable


def test_removed_depthwise_cost_matches_spec():
    mb = count(meta(lambda: torchvision.models.mobilenet_v2()), 224)["macs"]
    ssl = count(meta(lambda: build_model("ssl_mbv2_1.0")), 224)["macs"]
    assert (mb - ssl) / 1e6 == pytest.approx(20.7, abs=0.05)


def test_cross_check_with_flop_counter_mode():
    """Our hook counter equals torch.utils.flop_counter / 2 on conv+linear nets (shift = 0)."""
    torch.manual_seed(0)
    for m, s in [(build_model("resnet20", width=4), 16), (build_model("fenet_r_0.25", num_classes=10), 32),
                 (torchvision.models.mobilenet_v2(width_mult=0.1, num_classes=10), 32)]:
        assert count(m, s)["macs"] == count_macs(m, torch.zeros(1, 3, s, s))


def test_group_conv_formula_by_hand():
    m = torch.nn.Conv2d(8, 12, 3, stride=2, padding=1, groups=4)
    rows = count_layers(m, 10, in_ch=8)
    assert rows[0].macs == (8 // 4) * 3 * 3 * 12 * 5 * 5
    assert rows[0].params == 12 * 2 * 9 + 12


def test_small_paper_family_forward_backward():
    torch.manual_seed(0)
    for name, kw in [("shift_resnet20", {"expansion": 1, "width": 4}), ("fenet_r_0.25", {}),
                     ("resnet20", {"width": 4}), ("vgg16_cifar", {"width": 0.125})]:
        m = build_model(name, num_classes=10, **kw)
        y = m(torch.randn(2, 3, 32, 32))
        assert y.shape == (2, 10)
        y.sum().backward()
        assert all(p.grad is not None for p in m.parameters() if p.requires_grad)
