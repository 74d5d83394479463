"""Readers of the official formats on fake files, malformed input -> DataFormatError with file and line."""

import json

import h5py
import numpy as np
import pytest

from pkg_grounding.config import DataConfig
from pkg_grounding.data import charades_sta, didemo
from pkg_grounding.data.dataset import Features, GroundingDataset, read_split, target_steps
from pkg_grounding.data.fake import write_fake_charades, write_fake_didemo
from pkg_grounding.data.features import FeatureStore, average_to_fixed_length, didemo_steps
from pkg_grounding.data.records import SplitReport
from pkg_grounding.data.vocab import Vocab, read_glove, tokenize
from pkg_shared.errors import DataFormatError


def test_mcn_tokenizer():
    assert tokenize("The man's dog, runs!  Fast.") == ["the", "man", "s", "dog", "runs", "fast"]


def test_21_moments_in_mcn_order():
    assert len(didemo.MOMENTS) == 21 == len(set(didemo.MOMENTS))
    assert didemo.MOMENTS[:7] == ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (0, 1))
    assert didemo.MOMENTS[-1] == (4, 5)


def test_charades_lines_clipping_and_dropping(tmp_path):
    txt = tmp_path / "charades_sta_test.txt"
    txt.write_bytes(b"AAAAA 1.0 5.5##person opens the door.\r\nAAAAA 10.0 40.0##a person sits  \n"
                    b"\nBBBBB 3.0 3.0##empty window.\nAAAAA 31.0 35.0##after the end.\n")
    rep = SplitReport(str(txt))
    qs = charades_sta.read_charades_sta(txt, {"AAAAA": 30.0, "BBBBB": 12.0}, report=rep)
    assert [(q.qid, q.gt[0]) for q in qs] == [("1", (1.0, 5.5)), ("2", (10.0, 30.0))]
    assert qs[0].sentence == "person opens the door."
    assert (rep.clipped, rep.dropped) == (2, 2)


@pytest.mark.parametrize("line,problem", [
    ("AAAAA 1.0 5.5 person", "no '##'"),
    ("AAAAA 1.0##x", "VIDEOID START END"),
    ("AAAAA one 5.5##x", "not numbers"),
    ("AAAAA 1.0 5.5##   ", "empty sentence"),
])
def test_charades_malformed_line_names_file_and_line(tmp_path, line, problem):
    txt = tmp_path / "charades_sta_train.txt"
    txt.write_text("AAAAA 1.0 5.5##ok.\n" + line + "\n")
    with pytest.raises(DataFormatError) as e:
        charades_sta.read_charades_sta(txt, {"AAAAA": 30.0})
    assert e.value.line == 2 and str(txt) in str(e.value) and problem in str(e.value)


def test_charades_unknown_video_error_or_skip(tmp_path):
    txt = tmp_path / "t.txt"
    txt.write_text("ZZZZZ 1.0 2.0##x.\n")
    with pytest.raises(DataFormatError, match="no length"):
        charades_sta.read_charades_sta(txt, {}, on_missing="error")
    rep = SplitReport(str(txt))
    assert charades_sta.read_charades_sta(txt, {}, on_missing="skip", report=rep) == []
    assert rep.missing_duration == 1


def test_charades_csv_quoted_fields_and_errors(tmp_path):
    write_fake_charades(tmp_path, videos=4)
    d = charades_sta.read_durations(tmp_path / "Charades_v1_train.csv")
    assert len(d) == 3 and all(v > 0 for v in d.values())
    bad = tmp_path / "bad.csv"
    bad.write_text("id,length\nAAAAA,12.5\nBBBBB,abc\n")
    with pytest.raises(DataFormatError) as e:
        charades_sta.read_durations(bad)
    assert e.value.line == 3


def test_didemo_reader_and_errors(tmp_path):
    write_fake_didemo(tmp_path, videos=8)
    qs = didemo.read_didemo(tmp_path / "val_data.json")
    assert qs and all(len(q.times) >= 4 for q in qs)
    assert all(q.duration == 5.0 * q.num_segments for q in qs)
    recs = json.loads((tmp_path / "val_data.json").read_text())
    recs[1]["times"][0] = [4, 6]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(recs, indent=1))
    with pytest.raises(DataFormatError) as e:
        didemo.read_didemo(bad)
    assert "record 1" in str(e.value) and e.value.line is not None and str(bad) in str(e.value)
    broken = tmp_path / "broken.json"
    broken.write_text('[{"annotation_id": 1,\n "times": [[0, 0]]\n')
    with pytest.raises(DataFormatError) as e:
        didemo.read_didemo(broken)
    assert e.value.line is not None


def test_consensus_pair():
    assert didemo.consensus_pair(((1, 2), (1, 2), (0, 0), (0, 0), (3, 3))) == (0, 0)  # tie -> shortest
    assert didemo.consensus_pair(((1, 2), (1, 2), (0, 0))) == (1, 2)


def test_average_to_fixed_length_matches_brute_force():
    f = np.arange(10, dtype=np.float32)[:, None].repeat(2, 1)
    out = average_to_fixed_length(f, 4)
    # 2D-TAN rule: idx = round([0, 2.5, 5, 7.5, 10]) = [0, 2, 5, 8, 10] -> clamp 9
    exp = [f[0:2].mean(0), f[2:5].mean(0), f[5:8].mean(0), f[8:9].mean(0)]
    np.testing.assert_allclose(out, np.stack(exp))
    short = average_to_fixed_length(f[:3], 8)  # fewer features than steps: single rows repeated
    assert short.shape == (8, 2) and set(short[:, 0]) <= {0.0, 1.0, 2.0}


def test_didemo_steps_chunk_and_frame_features():
    chunks = np.ones((6, 3), np.float32)
    chunks[5] = 0
    steps, mask = didemo_steps(chunks, 5, 2)
    assert steps.shape == (12, 3) and mask.tolist() == [1.0] * 10 + [0.0] * 2
    frames = np.arange(150, dtype=np.float32)[:, None]  # 30 s at 5 / s
    steps, mask = didemo_steps(frames, 6, 5)  # 1 step per second
    np.testing.assert_allclose(steps[:, 0], [frames[5 * s : 5 * s + 5, 0].mean() for s in range(30)])


def test_feature_stores_hdf5_npy_npz_and_missing(tmp_path):
    a = np.random.rand(7, 4).astype(np.float32)
    with h5py.File(tmp_path / "f.h5", "w") as h:
        h.create_dataset("vid1", data=a)
        h.create_group("vid2").create_dataset("features", data=a[:3])
    s = FeatureStore(tmp_path / "f.h5")
    np.testing.assert_array_equal(s.get("vid1.mov"), a)  # DiDeMo keys with / without extension
    assert s.get("vid2").shape == (3, 4) and "vid3" not in s
    (tmp_path / "npy").mkdir()
    np.save(tmp_path / "npy" / "vid1.npy", a)
    assert FeatureStore(tmp_path / "npy").get("vid1").shape == (7, 4)
    (tmp_path / "npz").mkdir()
    np.savez(tmp_path / "npz" / "vid1.npz", features=a)
    assert FeatureStore(tmp_path / "npz").fmt == "npz_dir"
    (tmp_path / "h5dir").mkdir()
    with h5py.File(tmp_path / "h5dir" / "vgg_fc7_fps25_123@N01_456_ab.h5", "w") as h:
        h.create_dataset("features", data=a)
    per_frame = FeatureStore(tmp_path / "h5dir")
    assert per_frame.fmt == "h5_dir" and per_frame.get("123@N01_456_ab.mov").shape == (7, 4)
    (tmp_path / "bad.h5").write_text("not hdf5")
    with pytest.raises(DataFormatError, match="bad.h5"):
        FeatureStore(tmp_path / "bad.h5")
    with pytest.raises(DataFormatError, match="no features"):
        s.get("nope")


def test_glove_reader(tmp_path):
    v = Vocab(["door", "opens"])
    g = tmp_path / "glove.txt"
    g.write_text("door 1 2 3\nzebra 0 0 0\nopens 4 5 6\n")
    mat, found = read_glove(g, v, dim=3)
    assert found == 2 and mat[v.stoi["opens"]].tolist() == [4, 5, 6] and mat[0].tolist() == [0, 0, 0]
    g.write_text("door 1 2\n")
    with pytest.raises(DataFormatError) as e:
        read_glove(g, v, dim=3)
    assert e.value.line == 1


def test_split_reading_missing_features_and_targets(tmp_path):
    write_fake_charades(tmp_path, videos=8)
    cfg = DataConfig(root=str(tmp_path), features="vgg_rgb_features.hdf5", num_steps=16)
    train, _ = read_split(cfg, "train")
    val, _ = read_split(cfg, "val")
    assert train and val and not ({q.vid for q in train} & {q.vid for q in val})
    with h5py.File(tmp_path / "vgg_rgb_features.hdf5", "a") as h:
        del h[train[0].vid]
    feats = Features(cfg)
    rep = SplitReport("x")
    kept = feats.filter(train, rep)
    assert rep.missing_features == [train[0].vid] and len(kept) < len(train)
    ds = GroundingDataset(kept, feats, Vocab.build(q.sentence for q in kept), cfg, training=False)
    video, mask, words, target, qi, _ = ds[0]
    assert video.shape == (16, 32) and mask.sum() == 16 and 0 <= target[0] <= target[1] < 16
    np.testing.assert_allclose(np.linalg.norm(video.numpy(), axis=1), 1.0, rtol=1e-5)  # L2 per step


def test_target_steps_cover_the_window():
    from pkg_grounding.data.records import Query

    q = Query("1", "v", "s", 32.0, ((4.0, 10.0),))
    assert target_steps(q, 0, 16, 1) == (2, 4)  # steps of 2 s: [4, 6), [6, 8), [8, 10)
    d = Query("2", "v", "s", 30.0, ((5.0, 15.0),), times=((1, 2),), num_segments=6)
    assert target_steps(d, 0, 30, 5) == (5, 14)


def test_feature_stores_corrupted_files(tmp_path):
    (tmp_path / "npy").mkdir()
    (tmp_path / "npy" / "v.npy").write_bytes(b"garbage, not an array")
    np.save(tmp_path / "npy" / "cube.npy", np.zeros((2, 3, 4), dtype=np.float32))
    s = FeatureStore(tmp_path / "npy")
    with pytest.raises(DataFormatError, match=r"v\.npy: not a readable \.npy file"):
        s.get("v")
    with pytest.raises(DataFormatError, match=r"must be a non-empty \(F, D\) array, got \(2, 3, 4\)"):
        s.get("cube")
    (tmp_path / "npz").mkdir()
    np.savez(tmp_path / "npz" / "a.npz", other=np.zeros((2, 2)))
    (tmp_path / "npz" / "b.npz").write_bytes(b"PK broken zip")
    z = FeatureStore(tmp_path / "npz")
    with pytest.raises(DataFormatError, match=r"a\.npz: no array 'features' \(has \['other'\]\)"):
        z.get("a")
    with pytest.raises(DataFormatError, match=r"b\.npz: not a readable \.npz file"):
        z.get("b")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFormatError, match="holds no .npy, .npz or .h5 files"):
        FeatureStore(tmp_path / "empty")
    with h5py.File(tmp_path / "g.h5", "w") as h:
        h.create_group("vid")
    with pytest.raises(DataFormatError, match="group 'vid' has no 'features' dataset"):
        FeatureStore(tmp_path / "g.h5").get("vid")
