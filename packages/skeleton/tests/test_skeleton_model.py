"""HCN at paper size: parameter and MAC counts from the spec's layer table, computed by hand here."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pkg_shared.engine import count_macs, count_params
from pkg_shared.errors import ConfigError
from pkg_skeleton.config import ModelConfig
from pkg_skeleton.models import build_model
from pkg_skeleton.models.hcn import temporal_difference


def conv_p(cin, cout, kh, kw):
    return cin * cout * kh * kw + cout


def hand_params(k=60, t=32, v=25, c=3, fc7=256, streams=2, width=2):
    stream = conv_p(c, 64, 1, 1) + conv_p(64, 32, 3, 1) + conv_p(v, 32, 3, 3) + conv_p(32, 64, 3, 3)
    trunk = conv_p(64 * streams, 128, 3, 3) + conv_p(128, 256, 3, 3)
    fc7_in = 256 * (t // 16) * width
    return streams * stream + trunk + fc7_in * fc7 + fc7 + fc7 * k + k


def hand_macs(k=60, t=32, v=25, c=3, m=2, fc7=256):
    """Multiply-adds of one sample: each conv is Cin*Cout*kh*kw*H_out*W_out (spec §2.1 shapes)."""
    stream = c * 64 * t * v + 64 * 32 * 3 * t * v + v * 32 * 9 * t * 32 + 32 * 64 * 9 * (t // 2) * 16
    trunk = 128 * 128 * 9 * (t // 4) * 8 + 128 * 256 * 9 * (t // 8) * 4
    return m * (2 * stream + trunk) + 256 * (t // 16) * 2 * fc7 + fc7 * k


def test_paper_config_parameter_count_matches_spec():
    model = build_model(ModelConfig())
    assert hand_params() == 784_892  # the spec's [D] number
    assert count_params(model) == 784_892
    # each extra class adds 257 parameters
    assert count_params(build_model(ModelConfig(num_classes=120))) == 784_892 + 60 * 257


def test_paper_config_macs_match_hand_count():
    model = build_model(ModelConfig())
    x = torch.zeros(1, 3, 32, 25, 2)
    assert count_macs(model, x) == hand_macs() == 97_229_824


def test_wide_variant_counts():
    cfg = ModelConfig(arch="hcn_wide", frames=64, fc7_dim=512)
    model = build_model(cfg)
    assert count_params(model) == hand_params(t=64, fc7=512)
    assert count_macs(model, torch.zeros(1, 3, 64, 25, 2)) == hand_macs(t=64, fc7=512)


def test_single_stream_and_local_counts():
    assert count_params(build_model(ModelConfig(arch="hcn_point"))) == hand_params(streams=1)
    local = build_model(ModelConfig(arch="hcn_local"))
    # local: conv3 takes the 32 conv2 channels; grid (T, V) = 32x25 pools to 2x1 after four /2 poolings
    expected = hand_params(width=1) - 2 * conv_p(25, 32, 3, 3) + 2 * conv_p(32, 32, 3, 3)
    assert count_params(local) == expected


def test_layer_shapes_follow_table():
    model = build_model(ModelConfig()).eval()
    shapes = {}
    hooks = [getattr(model.streams["point"], n).register_forward_hook(
        lambda m, i, o, n=n: shapes.__setitem__(n, tuple(o.shape[1:]))) for n in ("conv1", "conv2", "conv3", "conv4")]
    hooks += [getattr(model, n).register_forward_hook(
        lambda m, i, o, n=n: shapes.__setitem__(n, tuple(o.shape[1:]))) for n in ("conv5", "conv6", "fc7", "fc8")]
    model(torch.randn(2, 3, 32, 25, 2))
    for h in hooks:
        h.remove()
    assert shapes == {"conv1": (64, 32, 25), "conv2": (32, 32, 25), "conv3": (32, 16, 16), "conv4": (64, 8, 8),
                      "conv5": (128, 4, 4), "conv6": (256, 2, 2), "fc7": (256,), "fc8": (60,)}


def test_relu_only_after_conv1_conv5_conv6_fc7():
    model = build_model(ModelConfig())
    s = model.streams["point"]
    assert any(isinstance(m, nn.ReLU) for m in s.conv1)
    assert isinstance(s.conv2, nn.Conv2d)
    assert not any(isinstance(m, nn.ReLU) for m in list(s.conv3) + list(s.conv4))
    for seq in (model.conv5, model.conv6, model.fc7):
        assert any(isinstance(m, nn.ReLU) for m in seq)
    assert sum(isinstance(m, nn.ReLU) for m in model.modules()) == 2 + 3  # conv1 x 2 streams + conv5/6 + fc7


def test_person_swap_symmetry_and_mask_absent():
    torch.manual_seed(0)
    model = build_model(ModelConfig()).eval()
    x = torch.randn(3, 3, 32, 25, 2)
    assert torch.allclose(model(x), model(x.flip(-1)), atol=1e-5)
    masked = build_model(ModelConfig(mask_absent_person=True)).eval()
    one = build_model(ModelConfig(num_persons=1)).eval()
    one.load_state_dict(masked.state_dict())
    x[..., 1] = 0
    assert torch.allclose(masked(x), one(x[..., :1]), atol=1e-5)
    assert not torch.allclose(model(x), one(x[..., :1]), atol=1e-5)  # reproduction default: zero person counts


def test_motion_constant_velocity_and_static():
    t = torch.arange(32, dtype=torch.float32)
    x = (0.1 * t)[None, None, :, None, None].expand(1, 3, 32, 25, 2)
    assert torch.allclose(temporal_difference(x), torch.full_like(x, 0.1), atol=1e-6)
    assert temporal_difference(torch.ones(1, 3, 32, 25, 2)).abs().max() == 0
    pad = temporal_difference(x, "pad_zero_end")
    assert pad[:, :, -1].abs().max() == 0 and torch.allclose(pad[:, :, 0], torch.full_like(pad[:, :, 0], 0.1))


@pytest.mark.parametrize("arch,heads", [("hcn", "cls"), ("hcn_local", "cls"), ("hcn_point", "cls"),
                                        ("hcn_motion", "cls"), ("hcn_plus", "cls"), ("hcn", "cls+proposal"),
                                        ("hcn_plus", "cls+proposal")])
def test_variants_forward_backward_reach_all_parameters(arch, heads):
    model = build_model(ModelConfig(arch=arch, num_classes=5, frames=16, dropout=0.0, heads=heads))
    model(torch.randn(2, 3, 16, 25, 2)).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


@pytest.mark.parametrize("fusion,point", [("mean", "conv6"), ("concat", "conv6"), ("max", "fc7"), ("early", "conv6")])
def test_fusion_options(fusion, point):
    model = build_model(ModelConfig(num_classes=4, frames=16, person_fusion=fusion, fusion_point=point))
    assert model(torch.randn(2, 3, 16, 25, 2)).shape == (2, 4)


def test_frames_must_be_multiple_of_16():
    from pkg_shared.config import from_dict

    with pytest.raises(ConfigError, match="multiple of 16"):
        from_dict(ModelConfig, {"frames": 30})
