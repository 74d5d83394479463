"""NTU raw .skeleton parser, splits, missing list, body selection (fixtures written here)."""

from __future__ import annotations

import numpy as np
import pytest

from pkg_shared.errors import DataFormatError
from pkg_skeleton.data import ntu
from pkg_skeleton.data.fake import REST, write_ntu_skeleton

BIG_ID = 72057594037931101  # > 2**53: a float64 parse would corrupt it


def joint_line(x, y, z):
    return f"{x} {y} {z} 250.1 200.2 900.3 500.4 0.1 0.2 0.3 0.4 2"


def body_block(body_id, offset=0.0):
    lines = [f"{body_id} 0 1 1 1 1 0 0.01 -0.02 2", "25"]
    lines += [joint_line(0.01 * j + offset, 0.02 * j, 3.0 + offset) for j in range(25)]
    return lines


def write(path, frames, crlf=False):
    lines = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for bid, off in bodies:
            lines += body_block(bid, off)
    sep = "\r\n" if crlf else "\n"
    path.write_bytes((sep.join(lines) + sep).encode())
    return path


def test_parse_zero_body_frames_three_bodies_big_ids_crlf(tmp_path):
    f = write(tmp_path / "S001C001P001R001A001.skeleton",
              [[], [(BIG_ID, 0.0)], [(BIG_ID, 0.0), (BIG_ID + 1, 1.0), (5, 2.0)]], crlf=True)
    seq = ntu.parse_skeleton_file(f)
    assert seq.num_frames == 3 and [len(b) for b in seq.frames] == [0, 1, 3]
    assert seq.frames[1][0][0] == BIG_ID and seq.frames[2][1][0] == BIG_ID + 1
    np.testing.assert_allclose(seq.frames[2][1][1][3], [0.03 + 1.0, 0.06, 4.0], rtol=1e-6)
    arr = ntu.select_file_order(seq)
    assert arr.shape == (2, 3, 25, 3)
    assert not arr[:, 0].any() and not arr[1, 1].any()  # zero-body frame and absent slot stay zero
    np.testing.assert_allclose(arr[1, 2, 0], [1.0, 0.0, 4.0])
    naive = ntu.parse_naive(f)
    assert [[b[0] for b in fr] for fr in naive.frames] == [[b[0] for b in fr] for fr in seq.frames]


@pytest.mark.parametrize("mutate,line,problem", [
    (lambda ls: ls.__setitem__(5, "0.1 0.2 abc 1 2 3 4 5 6 7 8 2"), 6, "non-numeric"),
    (lambda ls: ls.__setitem__(2, "1 0 1 1 1"), 3, "10"),
    (lambda ls: ls.__setitem__(4, "0.1 0.2 0.3"), 5, "expected 12"),
    (lambda ls: ls.__setitem__(1, "x"), 2, "body count"),
    (lambda ls: ls.__delitem__(slice(20, None)), None, "ends"),
])
def test_malformed_files_name_file_and_line(tmp_path, mutate, line, problem):
    f = write(tmp_path / "S001C001P001R001A001.skeleton", [[(BIG_ID, 0.0)]])
    lines = f.read_text().splitlines()
    mutate(lines)
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=problem) as ei:
        ntu.parse_skeleton_file(f)
    assert str(f) in str(ei.value)
    if line is not None:
        assert ei.value.line == line


def test_empty_file(tmp_path):
    f = tmp_path / "S001C001P001R001A001.skeleton"
    f.write_text("")
    with pytest.raises(DataFormatError, match="empty"):
        ntu.parse_skeleton_file(f)


def test_names_and_benchmark_splits():
    n = ntu.parse_name("S017C002P035R002A060.skeleton")
    assert (n.setup, n.camera, n.performer, n.replication, n.action, n.label) == (17, 2, 35, 2, 60, 59)
    assert ntu.is_train(n, "ntu60_xsub") and ntu.is_train(n, "ntu60_xview")
    assert not ntu.is_train(ntu.parse_name("S001C001P003R001A001"), "ntu60_xsub")
    assert not ntu.is_train(ntu.parse_name("S001C001P001R001A001"), "ntu60_xview")
    assert ntu.is_train(ntu.parse_name("S018C001P045R001A061"), "ntu120_xsub")
    assert not ntu.is_train(ntu.parse_name("S018C001P044R001A061"), "ntu120_xsub")
    assert ntu.is_train(ntu.parse_name("S018C001P044R001A061"), "ntu120_xset")
    assert not ntu.is_train(ntu.parse_name("S019C001P044R001A061"), "ntu120_xset")
    assert not ntu.in_benchmark(ntu.parse_name("S018C001P044R001A061"), "ntu60_xsub")
    with pytest.raises(DataFormatError):
        ntu.parse_name("S1C1P1R1A1.skeleton")


def test_xsub_counts_on_full_name_grid():
    """X-Sub: 20 of the 40 performers train; X-View: cameras 2, 3 train (2/3 of the grid)."""
    perf = range(1, 41)
    assert sum(ntu.is_train(ntu.NtuName(1, 1, p, 1, 1), "ntu60_xsub") for p in perf) == 20
    assert sum(ntu.is_train(ntu.NtuName(1, c, 1, 1, 1), "ntu60_xview") for c in (1, 2, 3)) == 2


def test_shipped_missing_list():
    missing = ntu.missing_samples()
    assert len(missing) == 302
    assert {"S001C002P005R002A008", "S001C002P006R001A008"} <= missing
    assert all(ntu.NAME_RE.match(m) for m in missing)
    assert all(ntu.parse_name(m).setup <= 17 for m in missing)


def test_shipped_ntu120_missing_list_is_the_official_superset():
    """The dataset README: 535 NTU-120 samples with missing skeletons, a superset of NTU-60's 302."""
    m60, m120 = ntu.missing_samples(), ntu.missing_samples(benchmark="ntu120_xset")
    assert len(m120) == 535 and m60 < m120
    assert ntu.missing_samples(benchmark="ntu120_xsub") == m120
    extra = m120 - m60
    assert all(18 <= ntu.parse_name(m).setup <= 32 for m in extra)  # new names are all NTU-120 setups
    assert {"S019C001P046R001A075", "S032C003P067R002A077"} <= extra  # first and last new entries


def test_missing_list_file_official_layout_and_bad_line(tmp_path):
    """The official files begin with prose lines; those are skipped, a malformed name is an error."""
    from pkg_shared.errors import DataFormatError

    f = tmp_path / "NTU_RGBD120_samples_with_missing_skeletons.txt"
    f.write_text("535 of the captured samples have missing skeletons.\nPlease ignore them.\n\n"
                 "S001C002P005R002A008\r\nS019C001P046R001A075.skeleton\n")
    assert ntu.missing_samples(f) == {"S001C002P005R002A008", "S019C001P046R001A075"}
    f.write_text("S001C002P005R002A008\nS01C002P005R002A008\n")
    with pytest.raises(DataFormatError, match=r"missing_skeletons.txt:2: 'S01C002P005R002A008'"):
        ntu.missing_samples(f)


def test_ntu_class_names_cover_120_actions():
    from pkg_skeleton.data.names import NTU60, NTU120, class_names

    assert len(NTU120) == 120 and len(set(NTU120)) == 120 and NTU120[:60] == NTU60
    names = class_names("ntu120_xsub", 120)
    assert names[0] == "drink water" and names[59] == "walking apart from each other"
    assert names[60] == "put on headphone" and names[119].startswith("finger-guessing game")


def test_denoise_puts_most_active_body_in_slot0(tmp_path):
    rng = np.random.default_rng(0)
    f = 30
    still = np.repeat(REST[None], f, 0) + [0, 0, 3.0]
    active = still + rng.normal(0, 0.2, still.shape) + [0.8, 0, 0]
    short_noise = np.full((f, 25, 3), np.nan)
    short_noise[:4] = still[:4] + [2.0, 0, 0]
    # file order: the still body first
    path = tmp_path / "S001C001P001R001A050.skeleton"
    write_ntu_skeleton(path, [(11, still), (22, active), (33, short_noise)], f)
    seq = ntu.parse_skeleton_file(path)
    assert seq.max_bodies == 3
    fo = ntu.select_file_order(seq)
    np.testing.assert_allclose(fo[0], still, atol=1e-5)
    dn = ntu.select_denoise(seq)
    np.testing.assert_allclose(dn[0], active, atol=1e-5)
    np.testing.assert_allclose(dn[1], still, atol=1e-5)


def test_load_split_skips_missing_list_and_reports(tmp_path):
    from pkg_skeleton.config import DataConfig
    from pkg_skeleton.data.dataset import load_split
    from pkg_skeleton.data.fake import make_fake_ntu

    root = make_fake_ntu(tmp_path, num_classes=2, performers=(5, 3), cameras=(1,), frames=(20, 24))
    tr, rep = load_split(DataConfig(root=root), "train")
    te, _ = load_split(DataConfig(root=root), "test")
    assert rep.skipped_missing_list == ["S001C002P005R002A008"]
    assert sorted(n for n, _, _ in tr) == ["S001C001P005R001A001", "S001C001P005R001A002"]
    assert [lab for _, lab, _ in sorted(te)] == [0, 1]


def test_ntu120_benchmark_skips_names_of_the_ntu120_list(tmp_path):
    from pkg_skeleton.config import DataConfig
    from pkg_skeleton.data.dataset import load_split
    from pkg_skeleton.data.fake import class_motion, make_fake_ntu

    root = make_fake_ntu(tmp_path, num_classes=1, performers=(1, 3), cameras=(1,), frames=(20, 24))
    body = class_motion(0, 20, np.random.default_rng(0)) + [0, 0, 3.0]
    write_ntu_skeleton(root / "S019C001P046R001A075.skeleton", [(7, body)], 20)  # NTU-120 list, X-Sub train
    write_ntu_skeleton(root / "S019C001P045R001A075.skeleton", [(8, body)], 20)  # not listed, X-Sub train
    tr, rep = load_split(DataConfig(dataset="ntu120_xsub", root=root), "train")
    assert sorted(rep.skipped_missing_list) == ["S001C002P005R002A008", "S019C001P046R001A075"]
    assert sorted(n for n, _, _ in tr) == ["S001C001P001R001A001", "S019C001P045R001A075"]
    tr60, rep60 = load_split(DataConfig(dataset="ntu60_xsub", root=root), "train")
    assert [n for n, _, _ in tr60] == ["S001C001P001R001A001"]  # setups > 17 are not NTU-60
