"""Official-format readers on fake files, malformed input, manifests, HDF5, audio decoding."""

from __future__ import annotations

import importlib.util
import json
import pathlib

import numpy as np
import pytest

from pkg_audio.data.audio_io import ClipCounter, clip_unit, decode, load_clip, pad_or_crop
from pkg_audio.data.audioset import (
    ancestors,
    read_class_index,
    read_ontology,
    read_qa_counts,
    read_segments,
    targets_for,
)
from pkg_audio.data.manifest import Entry, match_segments, read_manifest, write_manifest
from pkg_shared.errors import DataFormatError

HEADER = (
    "# Segments csv created Sun Mar  5 10:54:31 2017\n"
    "# num_ytids=3, num_segs=3, num_unique_labels=527, num_positive_labels=5\n"
    "# YTID, start_seconds, end_seconds, positive_labels\n"
)


def write(tmp_path: pathlib.Path, name: str, text: str) -> pathlib.Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_segments_official_layout_with_dash_ytids_and_quoted_labels(tmp_path):
    p = write(tmp_path, "eval_segments.csv", HEADER
              + '--PJHxphWEs, 30.000, 40.000, "/m/09x0r,/t/dd00088"\n'
              + '-0RWZT-miFs, 420.000, 430.000, "/m/03v3yw"\n'
              + 'abcdefghijk, 0.000, 9.600, "/m/09x0r,/m/05zppz,/t/dd00088"')  # no trailing newline
    segs = read_segments(p)
    assert [s.ytid for s in segs] == ["--PJHxphWEs", "-0RWZT-miFs", "abcdefghijk"]
    assert segs[0].mids == ("/m/09x0r", "/t/dd00088")
    assert segs[2].end == 9.6 and len(segs[2].mids) == 3
    assert segs[0].line == 4 and segs[0].clip_id == "--PJHxphWEs_30.000"


@pytest.mark.parametrize(
    "row, problem",
    [
        ('short, 30.000, 40.000, "/m/09x0r"', "invalid YTID"),
        ('--PJHxphWEs, thirty, 40.000, "/m/09x0r"', "start_seconds"),
        ('--PJHxphWEs, 30.000, 20.000, "/m/09x0r"', "not after"),
        ('--PJHxphWEs, 30.000, 40.000, /m/09x0r, /m/0abc', "expected 4 fields"),
        ('--PJHxphWEs, 30.000, 40.000, "speech"', "invalid label MID"),
    ],
)
def test_segments_malformed_rows_name_file_and_line(tmp_path, row, problem):
    p = write(tmp_path, "bad.csv", HEADER + '--PJHxphWEs, 30.000, 40.000, "/m/09x0r"\n' + row + "\n")
    with pytest.raises(DataFormatError) as ei:
        read_segments(p)
    msg = str(ei.value)
    assert f"{p}:5" in msg and problem in msg


def test_segments_without_header_and_missing_file(tmp_path):
    p = write(tmp_path, "nohdr.csv", '--PJHxphWEs, 30.000, 40.000, "/m/09x0r"\n')
    with pytest.raises(DataFormatError, match="header"):
        read_segments(p)
    with pytest.raises(DataFormatError, match="not found"):
        read_segments(tmp_path / "absent.csv")


def test_class_index_quoted_commas_and_errors(tmp_path):
    p = write(tmp_path, "class_labels_indices.csv",
              'index,mid,display_name\n0,/m/09x0r,"Speech"\n1,/m/05zppz,"Male speech, man speaking"\n2,/t/dd00088,"Gush"\n')
    ci = read_class_index(p)
    assert ci.names[1] == "Male speech, man speaking" and ci.mids[2] == "/t/dd00088"
    np.testing.assert_array_equal(ci.multi_hot(["/t/dd00088", "/m/09x0r"]), [1, 0, 1])
    bad = write(tmp_path, "bad.csv", 'index,mid,display_name\n0,/m/09x0r,"Speech"\n1,/m/05zppz,Male speech, man speaking\n')
    with pytest.raises(DataFormatError, match=r"bad.csv:3: expected 3 fields"):
        read_class_index(bad)
    order = write(tmp_path, "order.csv", 'index,mid,display_name\n0,/m/09x0r,"Speech"\n5,/m/05zppz,"Man"\n')
    with pytest.raises(DataFormatError, match=r"order.csv:3: index 5 out of order"):
        read_class_index(order)


def test_unknown_mid_error_or_skip(tmp_path):
    ci = read_class_index(write(tmp_path, "c.csv", 'index,mid,display_name\n0,/m/09x0r,"Speech"\n'))
    segs = read_segments(write(tmp_path, "s.csv", HEADER + '--PJHxphWEs, 30.000, 40.000, "/m/09x0r,/m/zzz"\n'))
    with pytest.raises(DataFormatError, match=r"s.csv:4: label /m/zzz"):
        targets_for(segs, ci, tmp_path / "s.csv")
    y, skipped = targets_for(segs, ci, unknown="skip")
    assert skipped == 1 and y.tolist() == [[1.0]]


def test_ontology_abstract_blacklist_and_ancestors(fake_root):
    nodes = read_ontology(fake_root / "ontology.json")
    abstract = [m for m, n in nodes.items() if "abstract" in n["restrictions"]]
    black = [m for m, n in nodes.items() if "blacklist" in n["restrictions"]]
    assert len(abstract) == 2 and black == ["/m/unused"]
    ci = read_class_index(fake_root / "class_labels_indices.csv")
    anc = ancestors(nodes)
    assert anc[ci.mids[0]] == {"/m/root_a"} and anc[ci.mids[-1]] == {"/m/root_b"}
    assert read_qa_counts(fake_root / "qa_true_counts.csv")[ci.mids[0]] == (10, 8)
    assert read_qa_counts(fake_root / "absent.csv") == {}


def test_ontology_malformed(tmp_path):
    p = write(tmp_path, "ontology.json", '[{"id": "/m/a", "name": "A"},\n oops]')
    with pytest.raises(DataFormatError, match=r"ontology.json:2: invalid JSON"):
        read_ontology(p)
    p = write(tmp_path, "o2.json", json.dumps([{"id": "/m/a", "name": "A"}]))
    with pytest.raises(DataFormatError, match="lacks key"):
        read_ontology(p)


def test_fake_set_is_in_official_format(fake_root):
    lines = (fake_root / "eval_segments.csv").read_text().splitlines()
    assert lines[0].startswith("# Segments csv created ") and lines[2] == "# YTID, start_seconds, end_seconds, positive_labels"
    assert lines[3].startswith("-") and ', "' in lines[3]
    assert (fake_root / "class_labels_indices.csv").read_text().splitlines()[2] == '1,/m/0001x,"Dog, bark"'
    segs = read_segments(fake_root / "balanced_train_segments.csv")
    found, missing = match_segments(segs, fake_root, "{split}/{ytid}_{start:.3f}.wav", "balanced_train_segments")
    assert len(found) == 24 and not missing


def test_template_with_recursive_search_and_missing(tmp_path, fake_root):
    import shutil

    segs = read_segments(fake_root / "eval_segments.csv")
    # PANNs layout: audios/<split>/<part>/Y<ytid>.wav
    for k, s in enumerate(segs[:-2]):
        dst = tmp_path / "audios" / "eval_segments" / f"part{k % 2:02d}" / f"Y{s.ytid}.wav"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(fake_root / "eval_segments" / f"{s.ytid}_{s.start:.3f}.wav", dst)
    found, missing = match_segments(segs, tmp_path, "audios/{split}/**/Y{ytid}.wav", "eval_segments")
    assert len(found) == len(segs) - 2 and [m.ytid for m in missing] == [s.ytid for s in segs[-2:]]


def test_manifests_json_and_tsv_roundtrip(tmp_path):
    entries = [Entry("a", tmp_path / "a.wav", ("/m/09x0r",)), Entry("b", tmp_path / "b.wav", ("/m/09x0r", "/t/dd00088"))]
    for name in ("m.json", "m.tsv"):
        write_manifest(tmp_path / name, entries)
        back = read_manifest(tmp_path / name)
        assert [e.path for e in back] == [e.path for e in entries] and [e.mids for e in back] == [e.mids for e in entries]
    ast = write(tmp_path, "ast.json", json.dumps({"data": [{"wav": "x/y.wav", "labels": "/m/09x0r,/m/05zppz"}]}))
    e = read_manifest(ast)[0]
    assert e.path == tmp_path / "x" / "y.wav" and e.mids == ("/m/09x0r", "/m/05zppz")
    bad = write(tmp_path, "bad.tsv", "a.wav\t/m/09x0r\nb.wav /m/09x0r\n")
    with pytest.raises(DataFormatError, match=r"bad.tsv:2"):
        read_manifest(bad)


def test_hdf5_packed_reader(fake_root):
    from pkg_audio.config import DataConfig
    from pkg_audio.data.clips import build_split, load_classes

    cfg = DataConfig(root=fake_root, eval_hdf5=fake_root / "hdf5" / "eval_segments.h5", clip_seconds=1.0)
    classes = load_classes(cfg)
    h = build_split(cfg, classes, "eval")
    files = build_split(DataConfig(root=fake_root, clip_seconds=1.0), classes, "eval")
    assert h.ids == [i[:11] for i in files.ids]
    np.testing.assert_array_equal(h.targets, files.targets)
    a, b = h.load(0), files.load(0)
    assert a.shape == b.shape == (16000,)
    assert np.abs(a - b).max() < 0.02  # int16 + 32 kHz resampling round trip


def test_hdf5_malformed(tmp_path):
    h5py = pytest.importorskip("h5py")
    from pkg_audio.data.hdf5 import read_hdf5_index

    with h5py.File(tmp_path / "x.h5", "w") as f:
        f.create_dataset("audio_name", data=np.array([b"Yabc.wav"], dtype="S20"))
    with pytest.raises(DataFormatError, match="missing dataset 'target'"):
        read_hdf5_index(tmp_path / "x.h5")
    with h5py.File(tmp_path / "x.h5", "a") as f:
        f.create_dataset("target", data=np.zeros((1, 3), dtype=bool))
    with pytest.raises(DataFormatError, match="missing dataset 'waveform'.*'hdf5_path'"):
        read_hdf5_index(tmp_path / "x.h5")
    (tmp_path / "y.h5").write_bytes(b"not hdf5")
    with pytest.raises(DataFormatError, match="not a readable HDF5"):
        read_hdf5_index(tmp_path / "y.h5")


def test_hdf5_panns_index_files(fake_root, tmp_path):
    """PANNs' index files (hdf5_path + index_in_hdf5) read the same clips as the waveform files, also
    when the stored absolute paths are from another machine (looked up by file name)."""
    h5py = pytest.importorskip("h5py")
    from pkg_audio.data.hdf5 import read_hdf5_index

    bal = read_hdf5_index(fake_root / "hdf5" / "balanced_train_segments.h5", 12)
    unb = read_hdf5_index(fake_root / "hdf5" / "unbalanced_train_segments.h5", 12)
    ids, targets, reader = read_hdf5_index(fake_root / "hdf5" / "indexes" / "full_train.h5", 12)
    assert ids == bal[0] + unb[0]
    np.testing.assert_array_equal(targets, np.concatenate([bal[1], unb[1]]))
    n_bal = len(bal[0])
    np.testing.assert_array_equal(reader.read(0), bal[2].read(0))
    np.testing.assert_array_equal(reader.read(n_bal + 1), unb[2].read(1))
    # an index written on another machine: absolute paths that do not exist here
    import shutil

    ws = tmp_path / "hdf5s"
    (ws / "waveforms").mkdir(parents=True)
    (ws / "indexes").mkdir()
    shutil.copy(fake_root / "hdf5" / "eval_segments.h5", ws / "waveforms" / "eval.h5")
    with h5py.File(ws / "waveforms" / "eval.h5", "r") as src, h5py.File(ws / "indexes" / "eval.h5", "w") as f:
        n = src["audio_name"].shape[0]
        f["audio_name"] = src["audio_name"][:]
        f["target"] = src["target"][:]
        f["hdf5_path"] = np.array([b"/home/someone/workspaces/hdf5s/waveforms/eval.h5"] * n, dtype="S200")
        f["index_in_hdf5"] = np.arange(n, dtype=np.int32)[::-1]
    ids2, _, r2 = read_hdf5_index(ws / "indexes" / "eval.h5", 12)
    assert r2.files == [ws / "waveforms" / "eval.h5"]  # not the index of the same name
    np.testing.assert_array_equal(r2.read(0), read_hdf5_index(ws / "waveforms" / "eval.h5")[2].read(n - 1))
    (ws / "waveforms" / "eval.h5").unlink()
    with pytest.raises(DataFormatError, match=r"indexes/eval.h5: waveform file .*eval.h5 not found"):
        read_hdf5_index(ws / "indexes" / "eval.h5", 12)


def test_train_from_hdf5_index(fake_root):
    from pkg_audio.config import DataConfig
    from pkg_audio.data.clips import build_split, load_classes

    cfg = DataConfig(root=fake_root, train_hdf5=fake_root / "hdf5" / "indexes" / "full_train.h5", clip_seconds=1.0)
    tr = build_split(cfg, load_classes(cfg), "train")
    assert len(tr) == 36 and tr.load(35).shape == (16000,)


def _pluck(name):
    spec = importlib.util.find_spec("test")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("CPython test package not installed")
    p = pathlib.Path(list(spec.submodule_search_locations)[0]) / "audiodata" / name
    if not p.is_file():
        pytest.skip(f"{name} not shipped with this Python")
    return p


@pytest.mark.parametrize("name", ["pluck-pcm8.wav", "pluck-pcm16.wav", "pluck-pcm24.wav", "pluck-pcm32.wav"])
def test_real_recording_decodes_mono_resampled(name):
    p = _pluck(name)
    wave = decode(p, 16000)
    assert wave.ndim == 1 and wave.dtype == np.float32
    assert abs(len(wave) - round(3307 * 16000 / 11025)) <= 1
    clip = load_clip(p, 16000, 10.0)
    assert clip.shape == (160000,) and np.all(clip[len(wave):] == 0)


def test_resamplers_agree_on_a_tone_and_int16_roundtrip(tmp_path):
    from pkg_shared.io.audio import write_wav
    from pkg_shared.testing import sine_wave

    x = sine_wave(440.0, 1.0, 32000, 0.5)
    write_wav(tmp_path / "t.wav", x, 32000)
    y = decode(tmp_path / "t.wav", 32000)
    np.testing.assert_allclose(y, x, atol=1 / 32767)
    ref = sine_wave(440.0, 1.0, 16000, 0.5)
    for method in ("soxr", "poly", "decimate"):
        z = decode(tmp_path / "t.wav", 16000, method)
        assert len(z) == 16000
        assert np.abs(z[200:-200] - ref[200:-200]).max() < 0.01


def test_clipping_is_counted_and_pad_crop():
    c = ClipCounter()
    out = clip_unit(np.array([0.5, 1.2, -1.5], dtype=np.float32), c)
    assert out.tolist() == [0.5, 1.0, -1.0] and c.clipped_files == 1 and c.clipped_samples == 2
    assert pad_or_crop(np.ones(3, np.float32), 5).tolist() == [1, 1, 1, 0, 0]
    assert pad_or_crop(np.arange(6, dtype=np.float32), 4, 1).tolist() == [1, 2, 3, 4]


def test_corrupt_and_empty_audio(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "junk.wav").write_bytes(b"RIFF1234WAVEjunkjunkjunk")
    with pytest.raises(DataFormatError, match="empty"):
        decode(tmp_path / "empty.wav", 16000)
    with pytest.raises(DataFormatError, match="junk.wav"):
        decode(tmp_path / "junk.wav", 16000)


def test_label_propagation_up_the_ontology(tmp_path):
    from pkg_audio.data.audioset import ClassIndex, propagate_up

    def node(mid, children=()):
        return {"id": mid, "name": mid, "description": "", "citation_uri": "", "positive_examples": [],
                "child_ids": list(children), "restrictions": []}

    onto = tmp_path / "ontology.json"
    # /m/a -> /m/b -> /m/c ; /m/x (not labelled) -> /m/a
    onto.write_text(json.dumps([node("/m/x", ["/m/a"]), node("/m/a", ["/m/b"]), node("/m/b", ["/m/c"]), node("/m/c"),
                                node("/m/d")]))
    ci = ClassIndex(("/m/a", "/m/b", "/m/c", "/m/d"), ("A", "B", "C", "D"))
    y = np.array([[0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=np.float32)
    out = propagate_up(y, ci, read_ontology(onto))
    np.testing.assert_array_equal(out, [[1, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]])
