import numpy as np
import pytest
import torch

from pkg_shared.errors import DataFormatError
from pkg_shared.io import audio, image, tables, video
from pkg_shared.testing import sine_wave, write_audio, write_random_image, write_video


# ------------------------------------------------------------------ video
@pytest.mark.parametrize("backend", ["decord", "opencv"])
def test_video_round_trip(tmp_path, backend):
    if backend == "decord":
        pytest.importorskip("decord")
    frames = np.zeros((12, 32, 64, 3), np.uint8)
    for t in range(12):
        frames[t, :, :, 0] = 20 * t  # red channel encodes the frame index
    path = write_video(tmp_path / "v.avi", frames, fps=10)
    vr = video.VideoReader(path, backend=backend)
    assert (vr.info.num_frames, vr.info.height, vr.info.width) == (12, 32, 64)
    assert vr.backend == backend
    assert vr.info.fps == pytest.approx(10, abs=0.5)
    clip = vr.get_frames([0, 5, 11])
    assert clip.shape == (3, 32, 64, 3) and clip.dtype == torch.uint8
    # MJPG is lossy: check the channel order (RGB) and the frame identity loosely
    red = clip[..., 0].float().mean(dim=(1, 2))
    assert red.tolist() == pytest.approx([0, 100, 220], abs=8)
    assert clip[..., 2].float().mean() < 8
    assert vr.get_frames([1], layout="tchw").shape == (1, 3, 32, 64)


def test_opencv_streams_a_video_larger_than_its_cache(tmp_path):
    frames = np.zeros((20, 32, 64, 3), np.uint8)
    for t in range(20):
        frames[t, :, :, 1] = 12 * t  # green channel encodes the frame index
    path = write_video(tmp_path / "long.avi", frames, fps=10)
    cached = video.VideoReader(path, backend="opencv")
    streamed = video.VideoReader(path, backend="opencv", cache_bytes=5 * 32 * 64 * 3)
    assert cached._frames is not None and streamed._frames is None
    assert streamed.info.num_frames == 20 and (streamed.info.height, streamed.info.width) == (32, 64)
    want = [19, 3, 3, 10]  # unsorted, repeated: order and repeats are kept
    assert torch.equal(streamed.get_frames(want), cached.get_frames(want))
    green = streamed.get_frames(want)[..., 1].float().mean(dim=(1, 2))
    assert green.tolist() == pytest.approx([228, 36, 36, 120], abs=8)


def test_decord_misstrided_width_falls_back_to_opencv(tmp_path):
    pytest.importorskip("decord")
    frames = np.full((4, 32, 48, 3), 90, np.uint8)
    vr = video.VideoReader(write_video(tmp_path / "w48.avi", frames), backend="decord")
    clip = vr.get_frames([0, 3])
    assert clip.shape == (2, 32, 48, 3)
    assert clip.float().mean().item() == pytest.approx(90, abs=4)


@pytest.mark.parametrize("backend", ["decord", "opencv"])
def test_video_errors_name_the_file(tmp_path, backend):
    if backend == "decord":
        pytest.importorskip("decord")
    with pytest.raises(DataFormatError, match="not found"):
        video.VideoReader(tmp_path / "none.mp4", backend=backend)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(DataFormatError, match="empty"):
        video.VideoReader(empty, backend=backend)
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(DataFormatError, match="corrupt.mp4"):
        video.VideoReader(corrupt, backend=backend)
    good = write_video(tmp_path / "ok.avi", num_frames=4)
    with pytest.raises(DataFormatError, match="out of range"):
        video.VideoReader(good, backend=backend).get_frames([4])


def test_samplers():
    assert video.uniform_clip_indices(10, 4, 2, 3) == [3, 5, 7, 9]
    assert video.uniform_clip_indices(5, 4, 2, 0) == [0, 2, 4, 1]  # loops short videos
    clips = video.multi_clip_indices(100, 8, 2, 3)
    assert [c[0] for c in clips] == [0, 42, 85] and all(len(c) == 8 for c in clips)
    assert video.segment_indices(9, 3) == [1, 4, 7]
    rng = np.random.default_rng(0)
    seg = video.segment_indices(9, 3, rng)
    assert 0 <= seg[0] < 3 <= seg[1] < 6 <= seg[2] < 9
    idx = video.random_clip_indices(20, 4, 3, rng)
    assert idx[-1] - idx[0] == 9 and idx[-1] < 20


# ------------------------------------------------------------------ audio
def test_audio_load_mono_resample(tmp_path):
    left = sine_wave(440, 1.0, 8000)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    path = write_audio(tmp_path / "a.wav", stereo, 8000)
    assert audio.info(path) == (8000, 2, pytest.approx(1.0))
    wave, sr = audio.load_audio(path)
    assert sr == 8000 and wave.ndim == 1
    np.testing.assert_allclose(wave, left / 2, atol=1e-4)  # mono = mean of channels
    up, sr2 = audio.load_audio(path, sample_rate=16000)
    assert sr2 == 16000 and len(up) == 16000
    # the 440 Hz tone survives resampling: the spectrum peaks at 440 Hz
    spec = np.abs(np.fft.rfft(up))
    assert np.argmax(spec) * 16000 / len(up) == pytest.approx(440, abs=2)


def test_audio_errors(tmp_path):
    path = write_audio(tmp_path / "a.wav", sine_wave(100, 0.1, 8000), 8000)
    with pytest.raises(DataFormatError, match="sample rate is 8000 Hz, expected 16000 Hz"):
        audio.load_audio(path, expect_sample_rate=16000)
    (tmp_path / "e.wav").write_bytes(b"")
    with pytest.raises(DataFormatError, match="e.wav: audio file is empty"):
        audio.load_audio(tmp_path / "e.wav")
    (tmp_path / "c.wav").write_bytes(b"RIFF0000WAVEjunk" * 10)
    with pytest.raises(DataFormatError, match="c.wav: cannot decode audio"):
        audio.load_audio(tmp_path / "c.wav")
    with pytest.raises(DataFormatError, match="not found"):
        audio.load_audio(tmp_path / "none.wav")


# ------------------------------------------------------------------ image
def test_image_round_trip(tmp_path):
    rgb = np.zeros((5, 7, 3), np.uint8)
    rgb[..., 0] = 255
    image.write_image(tmp_path / "r.png", rgb)
    back = image.read_image(tmp_path / "r.png")
    assert back.shape == (5, 7, 3) and back[0, 0].tolist() == [255, 0, 0]
    write_random_image(tmp_path / "sub" / "x.jpg")
    assert [p.name for p in image.list_images(tmp_path)] == ["r.png", "x.jpg"]
    (tmp_path / "bad.png").write_bytes(b"notapng")
    with pytest.raises(DataFormatError, match="bad.png: cannot decode image"):
        image.read_image(tmp_path / "bad.png")
    with pytest.raises(DataFormatError, match="no image files"):
        image.list_images(tmp_path / "sub" / ".." / "sub2" if False else _empty(tmp_path))


def _empty(tmp_path):
    d = tmp_path / "emptydir"
    d.mkdir()
    return d


# ------------------------------------------------------------------ tables
def test_rows_quoted_csv_and_comments(tmp_path):
    p = tmp_path / "segments.csv"
    p.write_text('# header comment\n# YTID, start, end, labels\nabc, 0.000, 10.000, "/m/a,/m/b"\n\n')
    rows = list(tables.read_rows(p, min_fields=4))
    assert rows == [(3, ["abc", "0.000", "10.000", "/m/a,/m/b"])]


def test_malformed_rows_name_file_and_line(tmp_path):
    p = tmp_path / "ann.txt"
    p.write_text("a 1 2\nb 3\n")
    with pytest.raises(DataFormatError, match=r"ann.txt:2: expected at least 3 fields"):
        list(tables.read_rows(p, delimiter=None, min_fields=3))
    with pytest.raises(DataFormatError, match=r"ann.txt:7: field 'start' has invalid value 'x'"):
        tables.parse_field(p, 7, "start", "x", float)


def test_byte_order_mark_is_not_part_of_the_header(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("\ufefflabel,youtube_id\nabseiling,abc\n".encode("utf-8"))
    assert tables.read_dicts(p, required=["label"]) == [{"label": "abseiling", "youtube_id": "abc"}]
    assert list(tables.read_rows(p)) == [(1, ["label", "youtube_id"]), (2, ["abseiling", "abc"])]


def test_read_dicts_and_json(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("index,mid,display_name\n0,/m/09x0r,Speech\n1,/m/05zppz\n")
    with pytest.raises(DataFormatError, match=r"t.csv:3: expected 3 fields"):
        tables.read_dicts(p, required=["mid"])
    with pytest.raises(DataFormatError, match="missing column"):
        tables.read_dicts(p, required=["name"])
    j = tmp_path / "o.json"
    j.write_text('{"a": [1, 2,]}')
    with pytest.raises(DataFormatError, match=r"o.json:1: invalid JSON"):
        tables.read_json(j)
    with pytest.raises(DataFormatError, match="none.json: weights manifest not found"):
        tables.read_json(tmp_path / "none.json", what="weights manifest")
    with pytest.raises(DataFormatError, match="expected a file, found a directory"):
        tables.read_json(tmp_path)


def test_read_jsonl(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_text('{"a": 1}\n\n{"a": 2}\n')
    assert list(tables.read_jsonl(p)) == [(1, {"a": 1}), (3, {"a": 2})]
    p.write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(DataFormatError, match=r"r.jsonl:2: each line must be a JSON object"):
        list(tables.read_jsonl(p))
    p.write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(DataFormatError, match=r"r.jsonl:2: invalid JSON"):
        list(tables.read_jsonl(p))
    with pytest.raises(DataFormatError, match="prediction file not found"):
        list(tables.read_jsonl(tmp_path / "none.jsonl", what="prediction file"))
