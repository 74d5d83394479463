"""Official-format readers on generated trees, malformed input, sampling formulas, transforms, decoding."""

import pathlib

import numpy as np
import pytest
import torch

from pkg_shared.errors import DataFormatError
from pkg_shared.io.clip import check_video, read_clip
from pkg_video.data import filelist, kinetics, mit
from pkg_video.data.fake import KINETICS_NAMES, make_fake_kinetics, make_fake_mit
from pkg_video.data.sampling import clip_frames, multi_clip_starts, train_start
from pkg_video.data.transforms import rescale_size, three_crop_offsets


@pytest.fixture(scope="module")
def k400(tmp_path_factory):
    return make_fake_kinetics(tmp_path_factory.mktemp("k") / "k400", num_classes=4,
                              per_class={"train": 2, "val": 1, "test": 1}, frames=(20, 30), size=(32, 40),
                              defects=True)


@pytest.fixture(scope="module")
def mit_root(tmp_path_factory):
    return make_fake_mit(tmp_path_factory.mktemp("m") / "mit", per_class={"train": 1, "val": 1}, frames=(12, 16),
                         size=(32, 40))


def test_kinetics_tree_and_report(k400):
    ann = k400 / "annotations"
    samples, classes, rep = kinetics.build_split(ann, k400, "train")
    assert classes == sorted(KINETICS_NAMES[:4])
    assert rep.rows == 4 * 2 + 1 and rep.found == 8 and len(rep.missing) == 1
    # the replacement video wins over the original of the same name
    assert any("replacement_for_corrupted_k400" in s.path for s in samples)
    rows = kinetics.read_csv(ann / "train.csv")
    assert any(r.youtube_id.startswith("-") for r in rows)
    for s in samples:  # file name rule
        name = pathlib.Path(s.path).name
        row = next(r for r in rows if r.filename == name)
        assert classes[s.label] == row.label
    test_samples, _, rep_t = kinetics.build_split(ann, k400, "test")
    assert all(s.label == -1 for s in test_samples) and rep_t.found == 4


def test_kinetics_csv_by_header_and_quotes(tmp_path):
    p = tmp_path / "val.csv"
    p.write_text('youtube_id,split,label,time_end,time_start\n'
                 '-abcdefghij,val,"passing American football (in game)",20.0,10\n'
                 'abcdefghijk,val,"massaging person\'s head",30,20\n'
                 'Abcdefghijk,val,"a, b",30,20\n')
    rows = kinetics.read_csv(p)
    assert [r.label for r in rows] == ["passing American football (in game)", "massaging person's head", "a, b"]
    assert rows[0].filename == "-abcdefghij_000010_000020.mp4"


@pytest.mark.parametrize("bad, line, what", [
    ("abcdefghijk,val,x,ten,20\n", 2, "time_start"),
    ("abcdefghijk,val,x,10\n", 2, "expected 5 fields"),
    ("abc,val,x,10,20\n", 2, "11-character"),
    ("abcdefghijk,val,x,20,10\n", 2, "not after"),
])
def test_kinetics_malformed_rows_name_file_and_line(tmp_path, bad, line, what):
    p = tmp_path / "train.csv"
    p.write_text("youtube_id,split,label,time_start,time_end\n" + bad)
    with pytest.raises(DataFormatError) as exc:
        kinetics.read_csv(p)
    assert str(exc.value).startswith(f"{p}:{line}:") and what in str(exc.value)


def test_kinetics_missing_column(tmp_path):
    p = tmp_path / "train.csv"
    p.write_text("label,youtube_id,time_start\nx,abcdefghijk,1\n")
    with pytest.raises(DataFormatError, match="missing column"):
        kinetics.read_csv(p)


def test_mit_tree(mit_root):
    cats = mit.read_categories(mit_root / "moments_categories.txt")
    assert cats[0] == "turning+anticlockwise" and cats != sorted(cats)
    samples, classes, rep = mit.build_split(mit_root, "train")
    assert rep["found"] == 8 and classes == cats
    for s in samples:
        assert classes[s.label] == pathlib.Path(s.path).parent.name


def test_mit_malformed(tmp_path, mit_root):
    cats = mit.read_categories(mit_root / "moments_categories.txt")
    p = tmp_path / "trainingSet.csv"
    p.write_text(f"{cats[0]}/a.mp4,{cats[0]},3,0\n{cats[1]}/b.mp4,{cats[0]},3,0\n")
    with pytest.raises(DataFormatError, match=r"trainingSet.csv:2: .*not in the folder"):
        mit.read_split_csv(p, cats)
    p.write_text(f"{cats[0]}/a.mp4,{cats[0]},three,0\n")
    with pytest.raises(DataFormatError, match=r":1: field 'n_agree'"):
        mit.read_split_csv(p, cats)
    c = tmp_path / "cats.txt"
    c.write_text("a,0\nb,2\n")
    with pytest.raises(DataFormatError, match="not 0..K-1"):
        mit.read_categories(c)


def test_filelist_round_trip_and_whitespace(tmp_path):
    samples = [filelist.Sample("a/x.mp4", 3), filelist.Sample("b/y.mp4", 1, (1, 4))]
    p = tmp_path / "list.txt"
    filelist.write_video_list(p, samples)
    back = filelist.read_video_list(p)
    assert [(s.path, s.labels) for s in back] == [("a/x.mp4", (3,)), ("b/y.mp4", (1, 4))]
    (tmp_path / "tab.txt").write_text("a/x.mp4\t3\n")
    assert filelist.read_video_list(tmp_path / "tab.txt")[0].label == 3
    with pytest.raises(DataFormatError, match="whitespace"):
        filelist.write_video_list(tmp_path / "bad.txt", [filelist.Sample("air drumming/x.mp4", 0)])
    (tmp_path / "bad2.txt").write_text("a.mp4 1\nlabel,youtube_id\n")
    with pytest.raises(DataFormatError, match="bad2.txt:2"):
        filelist.read_video_list(tmp_path / "bad2.txt")
    (tmp_path / "raw.txt").write_text("dir/a 120 5\n")
    assert filelist.read_rawframe_list(tmp_path / "raw.txt")[0].total_frames == 120


def test_test_sampling_formulas_hand_computed():
    # 0.24.1: avg = (n - 64 + 1) / 10, start_k = int(k*avg + avg/2)
    # n=300: avg=23.7 -> 11.85, 35.55, 59.25, 82.95, 106.65, 130.35, 154.05, 177.75, 201.45, 225.15
    assert multi_clip_starts(300, 8, 8, 10) == [11, 35, 59, 82, 106, 130, 154, 177, 201, 225]
    # n=64: avg = 0.1 -> int(0.05 + 0.1k) = 0 for all k
    assert multi_clip_starts(64, 8, 8, 10) == [0] * 10
    assert multi_clip_starts(30, 8, 8, 10) == [0] * 10
    # 1.x: max_offset = n - 57; starts = round(k * max_offset / 9)
    # n=300: 243/9 = 27 -> 0, 27, ..., 243
    assert multi_clip_starts(300, 8, 8, 10, "mmaction1x") == [27 * k for k in range(10)]
    # n=64: 7/9 = 0.777.. -> round: 0, 1, 2, 2, 3, 4, 5, 5, 6, 7
    assert multi_clip_starts(64, 8, 8, 10, "mmaction1x") == [0, 1, 2, 2, 3, 4, 5, 5, 6, 7]
    assert multi_clip_starts(30, 8, 8, 10, "mmaction1x") == [0] * 10
    assert multi_clip_starts(300, 8, 8, 1, "mmaction1x") == [121]


def test_wrap_around_and_train_range():
    assert clip_frames(0, 30, 8, 8) == [0, 8, 16, 24, 2, 10, 18, 26]
    assert clip_frames(0, 30, 8, 8, "repeat_last") == [0, 8, 16, 24, 29, 29, 29, 29]
    rng = np.random.default_rng(0)
    starts = [train_start(100, 8, 8, rng) for _ in range(500)]
    assert min(starts) == 0 and max(starts) == 100 - 64
    assert train_start(50, 8, 8, rng) == 0


def test_rescale_and_three_crop_positions():
    assert rescale_size(240, 320, 256) == (256, 341)  # 320*256/240 = 341.33 -> int(+0.5) = 341
    assert rescale_size(320, 240, 256) == (341, 256)
    assert three_crop_offsets(256, 341, 256) == [(0, 0), (0, 42), (0, 84)]
    assert three_crop_offsets(341, 256, 256) == [(0, 0), (42, 0), (84, 0)]


def test_decode_fake_video_and_corrupt(k400, tmp_path):
    from pkg_shared.testing import write_video

    frames = (np.arange(10)[:, None, None, None] * 20 + np.zeros((10, 32, 40, 3))).astype(np.uint8)
    p = write_video(tmp_path / "ramp.avi", frames)
    clip, n = read_clip(p, lambda n: [0, 9, 50])  # out-of-range index clamped
    assert n == 10 and clip.shape == (3, 32, 40, 3)
    means = clip.float().mean(dim=(1, 2, 3))
    assert torch.allclose(means, torch.tensor([0.0, 180.0, 180.0]), atol=4)
    empty = next((k400 / "val").glob("*000001_000011.mp4"))
    assert check_video(empty) == "video file is empty"
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 50)
    assert check_video(junk) is not None
    with pytest.raises(DataFormatError, match="junk.mp4"):
        read_clip(junk, lambda n: [0])


def test_kinetics_empty_label_is_an_error_except_in_the_test_split(tmp_path):
    p = tmp_path / "train.csv"
    p.write_text("label,youtube_id,time_start,time_end,split\nx,abcdefghijk,1,11,train\n,bbcdefghijk,1,11,train\n")
    with pytest.raises(DataFormatError) as exc:  # would reach the loss as label -1
        kinetics.read_csv(p)
    assert str(exc.value).startswith(f"{p}:3:") and "empty label" in str(exc.value)
    p.write_text("label,youtube_id,time_start,time_end,split\n,abcdefghijk,1,11,test\n")
    assert kinetics.read_csv(p)[0].label is None


def test_kinetics_collects_every_malformed_row(tmp_path):
    p = tmp_path / "train.csv"
    p.write_text("label,youtube_id,time_start,time_end,split\n"
                 "x,abcdefghijk,ten,11,train\n"
                 "x,bbcdefghijk,1,11,train\n"
                 "x,cbcdefghijk,1\n"
                 ",dbcdefghijk,1,11,train\n")
    problems: list = []
    rows = kinetics.read_csv(p, problems)
    assert [r.youtube_id for r in rows] == ["bbcdefghijk"]
    assert [e.line for e in problems] == [2, 4, 5]
    with pytest.raises(DataFormatError, match=r"train.csv:2:"):  # without a list: the first one raises
        kinetics.read_csv(p)


def test_mit_collects_every_malformed_line(tmp_path, mit_root):
    cats = mit.read_categories(mit_root / "moments_categories.txt")
    p = tmp_path / "trainingSet.csv"
    p.write_text(f"{cats[0]}/a.mp4,{cats[0]},3\n{cats[0]}/b.mp4,{cats[0]},3,0\n{cats[1]}/c.mp4,{cats[0]},3,0\n"
                 f"{cats[0]}/d.mp4,nosuch,3,0\n")
    problems: list = []
    rows = mit.read_split_csv(p, cats, problems)
    assert [r[0] for r in rows] == [f"{cats[0]}/b.mp4"] and [e.line for e in problems] == [1, 3, 4]
    c = tmp_path / "cats.txt"
    c.write_text("a,0\nb\nc,1\n")
    problems = []
    assert mit.read_categories(c, problems) == ["a", "c"] and [e.line for e in problems] == [2]
    c.write_text("")
    with pytest.raises(DataFormatError, match="no categories"):
        mit.read_categories(c)


def test_filelist_negative_label_names_file_and_line(tmp_path):
    p = tmp_path / "list.txt"
    p.write_text("a.mp4 1\nb.mp4 -2\n")
    with pytest.raises(DataFormatError, match=r"list.txt:2: label -2 is negative"):
        filelist.read_video_list(p)
    p.write_text("a.mp4 -1\n")  # unlabeled (a prepared Kinetics test list)
    assert filelist.read_video_list(p)[0].label == -1


def test_csv_with_a_byte_order_mark(tmp_path):
    p = tmp_path / "train.csv"
    p.write_bytes("\ufefflabel,youtube_id,time_start,time_end,split\nx,abcdefghijk,1,11,train\n".encode())
    assert kinetics.read_csv(p)[0].label == "x"  # not silently unlabeled (label column named '\ufefflabel')
    c = tmp_path / "cats.txt"
    c.write_bytes("\ufeffclapping,0\npraying,1\n".encode())
    assert mit.read_categories(c) == ["clapping", "praying"]


def test_random_crop_offsets_follow_mmaction2():
    from pkg_video.data.transforms import random_crop_offset

    rng = np.random.default_rng(0)
    draws = {random_crop_offset(10, 7, rng) for _ in range(400)}
    assert draws == {0, 1, 2}  # randint(0, 10 - 7): offset 3 (= size - crop) is never drawn
    assert random_crop_offset(7, 7, rng) == 0
