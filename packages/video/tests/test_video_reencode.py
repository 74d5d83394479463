"""video-data reencode: dense key frames, short side, broken inputs reported, atomic outputs."""

import numpy as np
import pytest

from pkg_shared.io.clip import available, read_clip
from pkg_shared.testing import write_video
from pkg_video.cli import data

STEP = 6


def ramp(n: int, h: int, w: int) -> np.ndarray:
    return (np.arange(n)[:, None, None, None] * STEP + np.zeros((n, h, w, 3))).astype(np.uint8)


@pytest.mark.skipif(not available("pyav"), reason="re-encoding needs PyAV")
def test_reencode_gives_dense_key_frames_and_the_same_content(tmp_path, capsys):
    import av

    write_video(tmp_path / "src" / "a b" / "x.mp4", ramp(30, 64, 80))
    (tmp_path / "src" / "broken.mp4").write_bytes(b"junk" * 100)
    rc = data.main(["reencode", "--root", str(tmp_path / "src"), "--out", str(tmp_path / "dst"), "--short-side", "48",
                    "--keyint", "4"])
    out = capsys.readouterr().out
    assert rc == 0 and "broken.mp4" in out and "1 re-encoded" in out and "1 failed" in out
    dst = tmp_path / "dst" / "a b" / "x.mp4"
    assert not (tmp_path / "dst" / "broken.mp4").exists() and not list((tmp_path / "dst").rglob(".*tmp*"))
    with av.open(str(dst)) as c:
        s = c.streams.video[0]
        keys = [i for i, pkt in enumerate(p for p in c.demux(s) if p.size) if pkt.is_keyframe]
        assert (s.codec_context.height, s.codec_context.width) == (48, 60)  # 64x80 -> short side 48
    assert keys == [0, 4, 8, 12, 16, 20, 24, 28]
    clip, n = read_clip(dst, lambda n: [0, 10, 29], "pyav")
    assert n == 30
    assert np.abs(clip.float().mean(dim=(1, 2, 3)).numpy() - [0, 10 * STEP, 29 * STEP]).max() < 4
    rc = data.main(["reencode", "--root", str(tmp_path / "src"), "--out", str(tmp_path / "src")])
    assert rc == 2 and "must differ" in capsys.readouterr().err


@pytest.mark.skipif(not available("pyav"), reason="re-encoding needs PyAV")
def test_reencode_refuses_impossible_encoder_options(tmp_path, capsys):
    write_video(tmp_path / "src" / "x.mp4", ramp(6, 16, 16))
    for opt in (["--crf", "99"], ["--crf", "-1"], ["--jobs", "0"]):
        rc = data.main(["reencode", "--root", str(tmp_path / "src"), "--out", str(tmp_path / "dst"), *opt])
        err = capsys.readouterr().err
        assert rc == 2 and len(err.strip().splitlines()) == 1 and opt[0] in err
    assert not (tmp_path / "dst").exists()  # was: re-encoded with an out-of-range CRF
