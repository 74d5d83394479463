"""Paper-scale backbone counts vs independent numbers; head shapes; gradients; weight loading."""

import pytest
import torch
from torchvision.models import ResNet50_Weights, resnet18

from pkg_reid.config import ModelConfig
from pkg_reid.models import build_model, build_trunk
from pkg_shared.engine import count_macs, count_params
from pkg_shared.errors import DataFormatError

FC_PARAMS = 2048 * 1000 + 1000  # torchvision's ResNet-50 classifier


def test_resnet50_trunk_params_match_torchvision_docs():
    # torchvision documents 25,557,032 parameters for the full ResNet-50 classifier
    assert ResNet50_Weights.IMAGENET1K_V1.meta["num_params"] == 25_557_032
    trunk = build_trunk("resnet50", last_stride=2)
    assert count_params(trunk) == 25_557_032 - FC_PARAMS == 23_508_032
    # spec: 23,454,912 conv weights + 53,120 BN affine parameters
    conv = sum(m.weight.numel() for m in trunk.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv == 23_454_912


@pytest.mark.parametrize("last_stride,gmacs,hw", [(2, 2.669, (8, 4)), (1, 4.053, (16, 8))])
def test_resnet50_trunk_macs_at_256x128(last_stride, gmacs, hw):
    trunk = build_trunk("resnet50", last_stride=last_stride)
    x = torch.zeros(1, 3, 256, 128)
    assert count_macs(trunk, x) / 1e9 == pytest.approx(gmacs, abs=5e-4)
    with torch.no_grad():
        assert tuple(trunk.eval()(x)["res5"].shape) == (1, 2048, *hw)


def test_mac_counter_sanity_anchor_torchvision_224():
    # torchvision's own metadata: 4.089 GFLOPS (really multiply-adds) for ResNet-50 at 224x224
    from torchvision.models import resnet50

    expected = ResNet50_Weights.IMAGENET1K_V1.meta["_ops"]
    assert count_macs(resnet50(), torch.zeros(1, 3, 224, 224)) / 1e9 == pytest.approx(expected, abs=1e-3)


def test_paper_model_levels_and_fusion_dims():
    net = build_model(ModelConfig()).eval()
    # head params: per level FC C->1024 (+bias), BN1d(1024), FC 1024->128 (+bias)
    head = sum((c * 1024 + 1024) + 2 * 1024 + (1024 * 128 + 128) for c in (1024, 2048))
    assert count_params(net) == 23_508_032 + head
    with torch.no_grad():
        out = net(torch.randn(2, 3, 256, 128))
    assert out["fused"].shape == (2, 256)
    assert [tuple(e.shape) for e in out["levels"]] == [(2, 128), (2, 128)]
    assert torch.allclose(out["fused"].norm(dim=1), torch.ones(2), atol=1e-5)


@pytest.mark.parametrize("head,fuse", [("trinet", "concat"), ("bnneck", "sum"), ("linear", "concat")])
def test_gradients_reach_every_parameter(head, fuse):
    cfg = ModelConfig(backbone="tiny", tiny_width=4, levels=("res3", "res4", "res5"), head=head, fuse=fuse,
                      hidden_dim=8, embed_dim=8)
    net = build_model(cfg, num_classes=3)
    out = net(torch.randn(4, 3, 32, 16))
    (out["fused"].pow(2).sum() * 0 + out["raw"].sum() + out["logits"].sum()
     + sum(e.sum() for e in out["levels"])).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_residual_shift_is_identity_at_init():
    net = build_model(ModelConfig(backbone="tiny", tiny_width=4, hidden_dim=8, embed_dim=8)).eval()
    x = torch.randn(3, 3, 32, 16)
    with torch.no_grad():
        before = net(x)["fused"]
        net.add_shift()
        after = net(x)["fused"]
    assert torch.equal(before, after)


def test_load_local_torchvision_weights(tmp_path):
    ref = resnet18()
    torch.save(ref.state_dict(), tmp_path / "r18.pth")
    net = build_model(ModelConfig(backbone="resnet18", levels=("res5",), weights=str(tmp_path / "r18.pth")))
    assert torch.equal(net.backbone.stem[0].weight, ref.conv1.weight)
    assert torch.equal(net.backbone.layer4[1].conv2.weight, ref.layer4[1].conv2.weight)
    with pytest.raises(DataFormatError, match="not found"):
        build_model(ModelConfig(backbone="resnet18", weights=str(tmp_path / "missing.pth")))
