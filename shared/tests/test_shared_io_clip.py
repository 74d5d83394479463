"""Decoding back-ends: same frames from decord, PyAV, torchcodec and OpenCV; clamping; broken files;
decord plans; PyAV's exact skipping of non-reference frames."""

import numpy as np
import pytest

from pkg_shared.errors import DataFormatError, PkgError
from pkg_shared.io import clip as clip_mod
from pkg_shared.io.clip import _decord_dense, available, read_clip, resolve
from pkg_shared.testing import write_video

BACKENDS = [b for b in ("decord", "pyav", "torchcodec", "opencv") if available(b)]
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


def write_h264_with_b_frames(path, frames):
    """x264 defaults (3 B-frames, B-pyramid, one key frame): the case the non-reference skip is for."""
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        s.options = {"preset": "veryfast", "sc_threshold": "0"}
        for f in frames:
            for pkt in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    return path


@pytest.mark.skipif(not available("pyav"), reason="needs PyAV (bundled libx264)")
def test_pyav_non_reference_skip_is_exact_and_skips(tmp_path):
    import av

    rng = np.random.default_rng(1)
    frames = ramp(60, 48, 64)
    for t in range(60):  # a moving textured block gives the encoder real motion to predict
        frames[t, 10:30, t % 30 : t % 30 + 20] = rng.integers(0, 255, size=(20, 20, 3), dtype=np.uint8)
    p = write_h264_with_b_frames(tmp_path / "b.mp4", frames)
    with av.open(str(p)) as c:
        types = {int(f.pict_type) for f in c.decode(c.streams.video[0])}
    assert 3 in types  # AV_PICTURE_TYPE_B: without B-frames this test would check nothing
    want = [13, 21, 22, 37, 45, 53]
    results = {}
    for skip in (True, False):
        with av.open(str(p)) as c:
            s = c.streams.video[0]
            pts = sorted(pkt.pts for pkt in c.demux(s) if pkt.pts is not None and pkt.size)
            frame_of = {q: i for i, q in enumerate(pts)}
            results[skip] = clip_mod._pyav_decode(p, c, s, pts[0], frame_of, want, skip_nonref=skip)
    (got_skip, n_skip), (got_full, n_full) = results[True], results[False]
    assert sorted(got_skip) == sorted(got_full) == want
    for i in want:
        assert np.array_equal(got_skip[i], got_full[i]), i  # bit-exact: skipped frames are never references
    assert n_full >= 54 and n_skip < n_full - 5  # frames really were dropped before the last wanted one
    clip, _ = read_clip(p, lambda n: want, "pyav")
    assert np.array_equal(clip.numpy(), np.stack([got_full[i] for i in want]))


def test_torchcodec_that_loads_ffmpeg_lazily_is_probed(monkeypatch):
    """torchcodec 0.17 imports fine without FFmpeg and fails on the first decode: the probe loads
    the core library itself, so ``auto`` and ``available`` do not pick a back-end that cannot decode."""
    ops = pytest.importorskip("torchcodec._core.ops")
    if not hasattr(ops, "load_core_libraries"):
        pytest.skip("this torchcodec loads its core at import")

    def missing():
        raise RuntimeError("Could not load libtorchcodec. Likely causes: no FFmpeg")

    monkeypatch.setattr(ops, "load_core_libraries", missing)
    clip_mod.torchcodec_problem.cache_clear()
    try:
        problem = clip_mod.torchcodec_problem()
        assert problem is not None and "Could not load libtorchcodec" in problem
        assert not available("torchcodec")
    finally:
        clip_mod.torchcodec_problem.cache_clear()


def test_torchcodec_without_ffmpeg_is_a_clear_error(monkeypatch):
    """torchcodec's wheel needs system FFmpeg libraries: a missing one is reported, not a traceback."""
    import sys

    monkeypatch.setitem(sys.modules, "torchcodec.decoders", None)  # import now fails like a missing libavutil
    monkeypatch.setattr(clip_mod.importlib.util, "find_spec", lambda name: object())
    clip_mod.torchcodec_problem.cache_clear()
    try:
        problem = clip_mod.torchcodec_problem()
        assert problem is not None and "FFmpeg" in problem
        assert not available("torchcodec")
        with pytest.raises(PkgError, match="cannot load FFmpeg shared libraries"):
            resolve("torchcodec")
    finally:
        clip_mod.torchcodec_problem.cache_clear()
