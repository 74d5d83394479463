"""Clip-level (C3D/I3D-style) feature extraction with torchvision video backbones from local weights."""

import h5py
import numpy as np
import pytest
import torch
import torchvision

from pkg_grounding.cli import extract as extract_cli
from pkg_grounding.engine.extract import (
    ClipBackbone,
    build_backbone,
    clip_starts,
    extract_folder,
    list_videos,
)
from pkg_shared.errors import DataFormatError
from pkg_shared.io.video import read_frames
from pkg_shared.testing import write_video


def test_clip_starts_cover_every_frame():
    assert clip_starts(24, 8, 8) == [0, 8, 16]
    assert clip_starts(24, 8, 6) == [0, 6, 12, 18]  # the last clip (18..25) is padded
    assert clip_starts(5, 16, 16) == [0]  # shorter than one clip: one padded clip
    for n, L, s in [(37, 16, 8), (100, 16, 16), (17, 4, 3)]:
        starts = clip_starts(n, L, s)
        covered = {f for a in starts for f in range(a, min(n, a + L))}
        assert covered == set(range(n)) and all(b - a == s for a, b in zip(starts, starts[1:]))


@pytest.fixture(scope="module")
def mc3_weights(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("w") / "mc3_18.pth"
    torch.save(torchvision.models.video.mc3_18(weights=None).state_dict(), path)
    return path


def test_mc3_clip_features_match_a_direct_torchvision_pass(tmp_path, mc3_weights):
    write_video(tmp_path / "v" / "clipvid.avi", num_frames=24, height=48, width=64, fps=8.0, seed=3)
    bb = build_backbone("mc3_18", str(mc3_weights), clip_len=8, clip_stride=6)
    res = extract_folder(list_videos(tmp_path / "v"), tmp_path / "f.h5", bb, 8.0, "cpu", show_progress=False)
    assert res["extracted"] == 1 and res["feature_rate"] == pytest.approx(8 / 6)
    with h5py.File(tmp_path / "f.h5") as h:
        feats = h["clipvid"][()]
        assert h.attrs["feature_rate"] == pytest.approx(8 / 6)
    # independent pass: the torchvision model with the same weights, its preset, clips by hand
    net = torchvision.models.video.mc3_18(weights=None)
    net.load_state_dict(torch.load(mc3_weights, weights_only=True))
    net.fc = torch.nn.Identity()
    net.eval()
    preset = torchvision.models.video.MC3_18_Weights.KINETICS400_V1.transforms()
    frames = read_frames(tmp_path / "v" / "clipvid.avi", layout="tchw")
    clips = [[0, 1, 2, 3, 4, 5, 6, 7], [6, 7, 8, 9, 10, 11, 12, 13], [12, 13, 14, 15, 16, 17, 18, 19],
             [18, 19, 20, 21, 22, 23, 23, 23]]  # last clip padded with the final frame
    with torch.no_grad():
        want = torch.cat([net(preset(frames[c][None])) for c in clips]).numpy()
    assert feats.shape == (4, 512)
    np.testing.assert_allclose(feats, want, rtol=1e-4, atol=1e-5)


def test_s3d_gives_1024_d_clip_vectors():
    torch.manual_seed(0)
    bb = ClipBackbone("s3d", None, clip_len=16, clip_stride=16)
    with torch.no_grad():
        out = bb(torch.randint(0, 255, (1, 16, 3, 64, 80), dtype=torch.uint8))
    assert out.shape == (1, 1024) and torch.isfinite(out).all()


def test_clip_backbone_weight_errors(tmp_path, capsys):
    wrong = tmp_path / "r18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), wrong)
    with pytest.raises(DataFormatError, match=r"r18.pth: not mc3_18 weights"):
        build_backbone("mc3_18", str(wrong))
    with pytest.raises(DataFormatError, match="backbone weights not found"):
        build_backbone("r3d_18", str(tmp_path / "none.pth"))
    write_video(tmp_path / "v" / "a.avi", num_frames=8)
    assert extract_cli.main(["--videos", str(tmp_path / "v"), "--backbone", "r2plus1d_18",
                             "--out", str(tmp_path / "x.h5")]) == 2
    assert "--weights" in capsys.readouterr().err and not (tmp_path / "x.h5").exists()
    assert extract_cli.main(["--videos", str(tmp_path / "v"), "--backbone", "mc3_18", "--weights", str(wrong),
                             "--clip-len", "0", "--out", str(tmp_path / "x.h5")]) == 2
    assert "clip_len" in capsys.readouterr().err
