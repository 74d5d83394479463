"""Decoding back-ends: same frames from decord, PyAV and OpenCV; clamping; broken files; decord plans."""

import numpy as np
import pytest

from pkg_shared.errors import DataFormatError
from pkg_shared.io.clip import _decord_dense, available, read_clip, resolve
from pkg_shared.testing import write_video

BACKENDS = [b for b in ("decord", "pyav", "opencv") if available(b)]
STEP = 6  # frame t is filled with the grey value STEP * t


def ramp(n: int, h: int = 32, w: int = 40) -> np.ndarray:
    return (np.arange(n)[:, None, None, None] * STEP + np.zeros((n, h, w, 3))).astype(np.uint8)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("v")
    return {
        "mjpg": write_video(d / "ramp.avi", ramp(40)),
        "mp4v": write_video(d / "ramp.mp4", ramp(40)),
        "w48": write_video(d / "w48.avi", ramp(20, w=48)),  # decord 0.6 mis-strides this width
    }


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["mjpg", "mp4v", "w48"])
def test_backend_returns_the_written_frames(videos, backend, kind):
    n_written = 20 if kind == "w48" else 40
    want = [5, 0, 17, 17, 3, 999]  # unsorted, repeated, out of range (clamped to the last frame)
    clip, n = read_clip(videos[kind], lambda n: want, backend)
    assert n == n_written
    assert clip.shape[0] == len(want) and clip.shape[-1] == 3 and str(clip.dtype) == "torch.uint8"
    expect = np.array([min(i, n_written - 1) * STEP for i in want], dtype=float)
    got = clip.float().mean(dim=(1, 2, 3)).numpy()
    assert np.abs(got - expect).max() < 4, (got, expect)  # lossy codecs: a few grey levels


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs two back-ends")
def test_backends_agree_on_a_gop_video(tmp_path):
    """GOP-12 MPEG-4 with indices crossing key frames and wrapping around: identical RGB frames."""
    rng = np.random.default_rng(0)
    frames = ramp(60, 48, 64)
    frames[:, 8:24, 8:40] = rng.integers(0, 255, size=(60, 16, 32, 3), dtype=np.uint8) // 32 * 32
    p = write_video(tmp_path / "gop.mp4", frames)
    want = [50, 58, 6, 14, 22, 30]  # a clip that wrapped around the end
    clips = {b: read_clip(p, lambda n: want, b)[0].numpy().astype(int) for b in BACKENDS}
    ref = clips[BACKENDS[-1]]
    for b, c in clips.items():
        assert np.abs(c - ref).max() <= 2, b


def test_decord_plan_is_dense_only_when_seeks_cost_more():
    all_intra = list(range(250))
    assert _decord_dense(list(range(20, 84, 2)), all_intra)  # 32 seeks vs 64 decodes: decode the span
    assert not _decord_dense([20 + 8 * i for i in range(8)], all_intra)  # 8 seeks vs 57 decodes
    assert not _decord_dense([93 + 8 * i for i in range(8)], [0])  # one GOP: never seeks anyway
    assert not _decord_dense(list(range(0, 250, 1)), all_intra)  # span above the memory cap


@pytest.mark.skipif(not available("decord"), reason="decord not installed")
def test_decord_dense_plan_returns_the_right_frames(videos):
    """All-intra MJPG with every second frame wanted: the dense plan is taken and picks the right frames."""
    import decord

    want = list(range(10, 30, 2))
    keys = list(decord.VideoReader(str(videos["mjpg"])).get_key_indices())
    assert _decord_dense(sorted(want), keys)
    clip, _ = read_clip(videos["mjpg"], lambda n: want, "decord")
    assert np.abs(clip.float().mean(dim=(1, 2, 3)).numpy() - np.array(want) * STEP).max() < 4
    if available("opencv"):
        ref, _ = read_clip(videos["mjpg"], lambda n: want, "opencv")
        assert np.abs(clip.numpy().astype(int) - ref.numpy()).max() <= 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_and_junk_files(videos, backend, tmp_path):
    data = videos["mjpg"].read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])  # the AVI header still promises 40 frames
    clip, n = read_clip(cut, lambda n: [0, 1, n - 1], backend)
    assert 0 < n < 40 and clip.shape == (3, 32, 40, 3)
    assert abs(clip[1].float().mean().item() - STEP) < 4
    mp4 = videos["mp4v"].read_bytes()
    (tmp_path / "cut.mp4").write_bytes(mp4[: len(mp4) // 2])  # moov atom lost
    for bad in ("cut.mp4", "junk.mp4"):
        if bad == "junk.mp4":
            (tmp_path / bad).write_bytes(b"not a video" * 50)
        with pytest.raises(DataFormatError, match=bad):
            read_clip(tmp_path / bad, lambda n: [0], backend)
    with pytest.raises(DataFormatError, match="not found"):
        read_clip(tmp_path / "missing.mp4", lambda n: [0], backend)


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown video backend 'ffmpeg'"):
        resolve("ffmpeg")
    assert resolve("auto") == BACKENDS[0]


@pytest.mark.skipif(not available("pyav"), reason="re-encoding needs PyAV")
def test_reencode_gives_dense_key_frames_and_the_same_content(tmp_path, capsys):
    import av

    from pkg_video.cli import data

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
