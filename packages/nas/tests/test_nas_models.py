import dataclasses

import pytest
import torch

from pkg_nas.config import PRESETS, ModelConfig
from pkg_nas.models import Supernet, build_network
from pkg_nas.profile import block_cost, exact_counts, profile
from pkg_nas.search.bn_recal import recalibrate_bn
from pkg_nas.space import LayerAssignment, enumerate_depth
from pkg_shared.engine import count_macs, count_params

torch.set_num_threads(1)
IMAGENET = PRESETS["imagenet"]

# spec §2.3 (ImageNet rows equal torchvision's published resnet18/34/50 numbers)
SPEC = [
    (IMAGENET, "basic", "2-2-2-2", 11_689_512, 1814.07),
    (IMAGENET, "basic", "3-4-6-3", 21_797_672, 3663.76),
    (IMAGENET, "bottleneck", "3-4-6-3", 25_557_032, 4089.18),
    (PRESETS["cifar100"], "basic", "2-2-2-2", 11_220_132, 555.47),
    (PRESETS["tiny_imagenet"], "basic", "2-2-2-2", 11_271_432, 2221.77),
]


@pytest.mark.parametrize("preset,family,a,params,macs_m", SPEC)
def test_paper_scale_profiles_match_spec(preset, family, a, params, macs_m):
    cfg = dataclasses.replace(preset, family=family)
    prof = profile(cfg, a)
    assert prof.params == params
    assert round(prof.macs / 1e6, 2) == macs_m


@pytest.mark.parametrize("name,family,a", [("resnet18", "basic", "2-2-2-2"), ("resnet50", "bottleneck", "3-4-6-3")])
def test_paper_scale_builds_equal_torchvision(name, family, a):
    tv = pytest.importorskip("torchvision")
    ref = getattr(tv.models, name)(weights=None)
    ours = build_network(dataclasses.replace(IMAGENET, family=family), a)
    assert count_params(ours) == count_params(ref) == profile(ours.cfg, a).params
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    ours.load_state_dict(ref.state_dict())  # state-dict compatible
    ours.eval()
    ref.eval()
    x = torch.randn(2, 3, 64, 64)
    torch.testing.assert_close(ours(x), ref(x), rtol=0, atol=0)


def test_cifar_paper_scale_builds():
    net = build_network(PRESETS["cifar100"], "2-2-2-2")
    assert count_params(net) == 11_220_132
    assert count_macs(net, torch.zeros(1, 3, 32, 32)) == 555_468_800


# spec §1: extra MACs / params of one more block (any stage) in the CIFAR/ImageNet families
INCREMENTS = [
    (PRESETS["cifar100"], "basic", 75.50, (73_984, 295_424, 1_180_672, 4_720_640)),
    (IMAGENET, "basic", 231.21, (73_984, 295_424, 1_180_672, 4_720_640)),
    (IMAGENET, "bottleneck", 218.37, (70_400, 280_064, 1_117_184, 4_462_592)),
    (PRESETS["cifar100"], "plain", 37.75, (36_992, 147_712, 590_336, 2_360_320)),
]


@pytest.mark.parametrize("preset,family,macs_m,params", INCREMENTS)
def test_depth_implies_macs(preset, family, macs_m, params):
    cfg = dataclasses.replace(preset, family=family)
    for s in range(4):
        p, m = block_cost(cfg, s, 1)
        assert p == params[s] and round(m / 1e6, 2) == macs_m
    macs = {profile(cfg, a).macs for a in enumerate_depth(8, 4)}
    assert len(macs) == 1  # every assignment of one depth has the same MACs


SMALL = [
    ModelConfig(family="basic", widths=(4, 8, 16, 32), num_classes=7, input_size=32),
    ModelConfig(family="bottleneck", widths=(4, 8, 16), num_classes=5, input_size=16),
    ModelConfig(family="plain", widths=(4, 8, 16, 32), num_classes=3, input_size=32, plain_down="pool"),
    ModelConfig(family="plain", widths=(4, 8, 16, 32), num_classes=3, input_size=30, plain_down="conv"),
    ModelConfig(family="basic", stem="imagenet", widths=(8, 16, 32, 64), stem_width=6, num_classes=10, input_size=64),
    ModelConfig(family="bottleneck", stem="imagenet_nomaxpool", widths=(4, 8, 16, 32), num_classes=10, input_size=48),
]


@pytest.mark.parametrize("cfg", SMALL, ids=lambda c: f"{c.family}-{c.stem}-{c.plain_down}-{c.input_size}")
def test_lookup_table_equals_flop_counter(cfg):
    g = torch.Generator().manual_seed(0)
    for _ in range(3):
        a = LayerAssignment((torch.randint(1, 4, (cfg.stages,), generator=g) + 0).tolist())
        assert exact_counts(cfg, a) == (profile(cfg, a).params, profile(cfg, a).macs)


TINY = ModelConfig(family="basic", widths=(4, 8, 8, 16), num_classes=5, input_size=16)


@pytest.mark.parametrize("family", ["plain", "basic", "bottleneck"])
def test_supernet_extract_is_bit_identical(family):
    torch.manual_seed(0)
    cfg = dataclasses.replace(TINY, family=family, zero_init_residual=False)
    sn = Supernet(cfg, (3, 3, 3, 3))
    sn.train()
    for _ in range(2):  # make BN buffers non-trivial
        sn(torch.randn(8, 3, 16, 16), (3, 2, 3, 1))
    sn.eval()
    x = torch.randn(4, 3, 16, 16)
    for a in [(1, 1, 1, 1), (3, 2, 1, 2), (3, 3, 3, 3)]:
        net = sn.extract(a).eval()
        assert torch.equal(net(x), sn(x, a))


def test_skipped_blocks_get_no_gradient_and_keep_bn_stats():
    torch.manual_seed(0)
    sn = Supernet(dataclasses.replace(TINY, zero_init_residual=False), (3, 3, 3, 3)).train()
    before = {k: v.clone() for k, v in sn.state_dict().items()}
    a = (2, 1, 3, 1)
    sn(torch.randn(8, 3, 16, 16), a).sum().backward()
    for s, n in enumerate(a):
        for i, blk in enumerate(sn.stage(s)):
            for p in blk.parameters():
                assert (p.grad is None) == (i >= n)
    after = sn.state_dict()
    for k in before:
        if "running_mean" in k and k.startswith("layer"):
            s, i = int(k[5]) - 1, int(k.split(".")[1])
            assert torch.equal(before[k], after[k]) == (i >= a[s]), k


def test_zero_init_residual_makes_new_block_identity():
    torch.manual_seed(0)
    sn = Supernet(TINY, (3, 3, 3, 3)).eval()
    x = torch.randn(2, 3, 16, 16)
    base = sn(x, (1, 2, 1, 1))
    for a in [(2, 2, 1, 1), (1, 3, 1, 1), (1, 2, 2, 1), (1, 2, 1, 2)]:
        torch.testing.assert_close(sn(x, a), base)


def test_supernet_rejects_assignment_too_deep():
    sn = Supernet(TINY, (2, 2, 2, 2))
    with pytest.raises(ValueError, match="does not fit"):
        sn(torch.randn(1, 3, 16, 16), (3, 1, 1, 1))


def test_bn_recalibration_is_mean_of_batch_means():
    torch.manual_seed(0)
    sn = Supernet(dataclasses.replace(TINY, zero_init_residual=False), (2, 2, 2, 2))
    a = (1, 2, 1, 2)
    batches = [torch.randn(6, 3, 16, 16) * (1 + i) for i in range(4)]
    bn = sn.layer2[1].bn1
    skipped = sn.layer1[1].bn1
    skipped_before = skipped.running_mean.clone()
    seen = []
    h = bn.register_forward_hook(lambda m, inp, out: seen.append(inp[0].mean(dim=(0, 2, 3)).detach().clone()))
    momentum = bn.momentum
    recalibrate_bn(sn, batches, a)
    h.remove()
    assert len(seen) == 4
    torch.testing.assert_close(bn.running_mean, torch.stack(seen).mean(0), rtol=1e-5, atol=1e-6)
    assert bn.momentum == momentum
    assert torch.equal(skipped.running_mean, skipped_before)
