"""width_multiple: solved pruned widths that are multiples of the CPU's channel block, at the target."""

import json

import pytest
import torch

from pkg_efficient.compress.apply import (
    _solve_ratio,
    _vgg_conv_macs,
    compress_resnet,
    compress_vgg,
    greedy_widths,
)
from pkg_efficient.compress.chain import ChainOptions
from pkg_efficient.models.vgg import VGG

VGG16 = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
HW224 = [224 ** 2] * 2 + [112 ** 2] * 2 + [56 ** 2] * 3 + [28 ** 2] * 3 + [14 ** 2] * 3


def _vgg16_macs_by_hand(widths: list[int]) -> int:
    """3x3 convs, stride 1, pad 1: c_in * c_out * 9 * H * W, map halved after each block."""
    blocks, c, i, tot = [(224, 2), (112, 2), (56, 3), (28, 3), (14, 3)], 3, 0, 0
    for side, n in blocks:
        for _ in range(n):
            tot += c * widths[i] * 9 * side * side
            c, i = widths[i], i + 1
    return tot


def test_vgg16_5x_widths_are_multiples_and_just_meet_the_target():
    base = _vgg16_macs_by_hand(VGG16)
    assert base == pytest.approx(15.35e9, rel=0.01)  # VGG-16's published 15.5 G M-Adds, of which convs 15.35 G
    for m in (8, 16):
        keep, ok = _solve_ratio(lambda k: _vgg_conv_macs(k, HW224), VGG16, [1] * 13, 5.0, base, m)
        speedup = base / _vgg16_macs_by_hand(keep)
        assert ok and all(k % m == 0 and m <= k <= w for k, w in zip(keep, VGG16)), (m, keep)
        assert 5.0 <= speedup < 5.0 * 1.02, (m, speedup)  # the slack is given back: not over-pruned
        plain = [round(0.44 * w) for w in VGG16]  # the uniform answer is near 44 % of each width
        assert all(abs(k - p) <= m for k, p in zip(keep, plain)), (m, keep)


def test_width_multiple_1_is_the_plain_uniform_ratio():
    """Reference: the largest ratio on a fine grid whose rounded widths meet the target."""
    base = _vgg16_macs_by_hand(VGG16)
    keep, ok = _solve_ratio(lambda k: _vgg_conv_macs(k, HW224), VGG16, [1] * 13, 5.0, base, 1)
    best = None
    for step in range(1, 100001):
        r = step / 100000
        w = [max(1, round(r * n)) for n in VGG16]
        if base / _vgg16_macs_by_hand(w) >= 5.0:
            best = w
    assert ok and keep == best


def test_lower_bounds_are_rounded_up_and_narrow_layers_left_alone():
    widths, lower = [4, 64, 64], [1, 20, 1]

    def cost(k):
        return 3 * k[0] + k[0] * k[1] + k[1] * k[2]

    keep, ok = _solve_ratio(cost, widths, lower, 4.0, cost(widths), 16)
    assert ok and keep[1] % 16 == 0 and keep[1] >= 32 and keep[2] % 16 == 0  # 20 -> at least 32
    assert keep[0] <= 4  # narrower than the multiple: unaligned


def test_greedy_allocation_steps_in_multiples():
    e = [torch.linspace(1, 0.1, 64, dtype=torch.float64), torch.linspace(1, 0.5, 64, dtype=torch.float64)]
    e = [x / x.sum() for x in e]

    def cost(k):
        return 10 * k[0] + 10 * k[1]

    keep = greedy_widths([64, 64], [1, 20], e, cost, 600, multiple=16)
    assert all(k % 16 == 0 for k in keep) and keep[1] >= 32 and cost(keep) <= 600


@torch.no_grad()
def test_compress_vgg_and_resnet_record_and_apply_the_multiple():
    torch.manual_seed(0)
    vgg = VGG([32, "M", 64, "M", 64], batch_norm=False, num_classes=5, pool_size=2, hidden=(), dropout=0.0).eval()
    x = torch.randn(8, 3, 16, 16)
    small, info = compress_vgg(vgg, x, ChainOptions(positions=4), target_speedup=2.0, width_multiple=8)
    assert all(w % 8 == 0 for w in info["widths"]) and info["width_multiple"] == 8
    assert info["conv_speedup_theoretical"] >= 2.0 * 0.999
    assert [m.out_channels for m in small.features if isinstance(m, torch.nn.Conv2d)] == info["widths"]
    _, explicit = compress_vgg(vgg, x, ChainOptions(positions=4), widths=[30, 60, 64], width_multiple=8)
    assert explicit["widths"] == [30, 60, 64] and explicit["width_multiple"] is None  # explicit widths untouched

    from pkg_efficient.models import build_model

    res = build_model("resnet20", num_classes=10).eval()
    _, rinfo = compress_resnet(res, torch.randn(4, 3, 32, 32), ChainOptions(positions=4), target_speedup=1.5,
                               width_multiple=8, relu_bound=False)
    assert all(w % 8 == 0 for ws in rinfo["widths"].values() for w in ws) and rinfo["width_multiple"] == 8


def test_cli_rejects_a_zero_multiple_and_records_it_in_the_report(tmp_path, capsys):
    from pkg_efficient.cli import compress
    from pkg_efficient.data.cifar import write_fake_cifar

    write_fake_cifar(tmp_path / "c", "cifar10", n_train=8, n_test=4, seed=0)
    base = ["ldrf", "--arch", "vgg16_cifar", "--dataset", "cifar10", "--data", str(tmp_path / "c"), "--input-size", "32",
            "--num-classes", "10", "--calib-images", "4", "--set", "positions=2"]
    assert compress.main(base + ["--width-multiple", "0", "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "width_multiple" in err and err.count("\n") == 1 and not (tmp_path / "bad").exists()
    assert compress.main(base + ["--target-speedup", "2", "--width-multiple", "16", "--out", str(tmp_path / "ok")]) == 0
    rep = json.loads((tmp_path / "ok" / "report.json").read_text())
    assert rep["config"]["width_multiple"] == 16
    assert rep["speedup_theoretical"]["conv_only"] >= 2.0 * 0.999
