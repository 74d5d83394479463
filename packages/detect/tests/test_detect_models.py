"""Paper-scale cost (spec §3.2/§6 hand counts), shapes, Conv-LSTM properties."""

import pytest
import torch

from pkg_detect.config import ModelConfig
from pkg_detect.models import ConvLSTM, ConvLSTMCell, TLLNet
from pkg_shared.engine import count_params, macs_by_module


@pytest.fixture(scope="module")
def paper_counts():
    with torch.device("meta"):
        single = TLLNet(ModelConfig())
        temporal = TLLNet(ModelConfig(temporal_mode="convlstm"))
        x = torch.zeros(1, 3, 480, 640)
    return single, macs_by_module(single, x), temporal, macs_by_module(temporal, x.unsqueeze(1))


def test_paper_scale_params_and_macs(paper_counts):
    single, macs, _, tmacs = paper_counts
    # spec §3.2: trunk 23.51 M params, neck + heads 16.45 M
    assert count_params(single.trunk) / 1e6 == pytest.approx(23.51, abs=0.01)
    assert (count_params(single.neck) + count_params(single.heads)) / 1e6 == pytest.approx(16.45, abs=0.01)
    g = {k: v / 1e9 for k, v in macs.items()}
    assert g["trunk"] == pytest.approx(38.00, abs=0.01)
    assert g["trunk.layer4"] == pytest.approx(17.93, abs=0.01)
    # deconvolutions: Cin*Cout*k^2*H_in*W_in, by hand
    assert macs["neck.branches.0"] == 512 * 256 * 16 * 60 * 80 == pytest.approx(10.07e9, rel=1e-3)
    assert macs["neck.branches.1"] == 1024 * 256 * 16 * 30 * 40
    assert macs["neck.branches.2"] == 2048 * 256 * 16 * 30 * 40
    assert macs["neck.fuse"] == 768 * 256 * 9 * 120 * 160
    assert g[""] == pytest.approx(97.2, abs=0.05)
    # one Conv-LSTM step at stride 4: (256 + 256) * 4 * 256 * 9 * 120 * 160 = 90.6 G
    assert tmacs["lstm"] == 512 * 1024 * 9 * 120 * 160
    assert tmacs["lstm"] / 1e9 == pytest.approx(90.6, abs=0.05)


def test_undilated_trunk_cost():
    with torch.device("meta"):
        m = TLLNet(ModelConfig(dilate_res5=False))
        macs = macs_by_module(m.trunk, torch.zeros(1, 3, 480, 640))
    assert macs[""] / 1e9 == pytest.approx(25.02, abs=0.01)


def tiny(**kw):
    return TLLNet(ModelConfig(backbone="tiny", neck_channels=8, tiny_widths=(8, 8, 8, 8), temporal_channels=8, **kw))


def test_output_shapes_stride4_and_padding():
    m = tiny().eval()
    out = m(torch.rand(2, 3, 50, 70))
    assert out["top"].shape == (2, 1, 16, 20)  # padded to 64 x 80 -> /4
    assert out["line"].shape == (2, 2, 16, 20)
    assert tiny(line_target="scalar")(torch.rand(1, 3, 32, 32))["line"].shape[1] == 1


def test_convlstm_single_step_equals_cell():
    torch.manual_seed(0)
    lstm = ConvLSTM(3, 4)
    x = torch.rand(2, 1, 3, 5, 5)
    hs, _ = lstm(x)
    h, _ = lstm.cell(x[:, 0])
    torch.testing.assert_close(hs[:, 0], h)


def test_convlstm_causal_and_streaming_equals_unrolled():
    torch.manual_seed(0)
    m = tiny(temporal_mode="convlstm").eval()
    clip = torch.rand(1, 4, 3, 32, 32)
    with torch.no_grad():
        full = m(clip, all_steps=True)
        clip2 = clip.clone()
        clip2[:, 3] = torch.rand(3, 32, 32)
        changed = m(clip2, all_steps=True)
        torch.testing.assert_close(full["top"][:, :3], changed["top"][:, :3])
        assert not torch.allclose(full["top"][:, 3], changed["top"][:, 3])
        state = None
        for t in range(4):
            out, state = m.step(clip[:, t], state)
            torch.testing.assert_close(out["top"], full["top"][:, t], atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(m(clip)["line"], full["line"][:, -1], atol=1e-6, rtol=1e-5)


def test_convlstm_gradcheck_toy():
    torch.manual_seed(0)
    cell = ConvLSTMCell(2, 2, 3).double()
    x = torch.rand(1, 2, 2, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda inp: cell(inp)[0], (x,))


def test_mean_mode_and_stride8_run():
    m = tiny(temporal_mode="mean").eval()
    assert m(torch.rand(1, 5, 3, 32, 32))["top"].shape == (1, 1, 8, 8)
    m8 = tiny(temporal_mode="convlstm", temporal_stride=8).eval()
    assert m8(torch.rand(1, 2, 3, 32, 32))["top"].shape == (1, 1, 8, 8)
