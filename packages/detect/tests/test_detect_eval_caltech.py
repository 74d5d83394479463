"""Caltech evaluator (code3.2.1 semantics) on hand-computed cases."""

import math
import warnings

import numpy as np
import pytest

from pkg_detect.eval import caltech as ce
from pkg_detect.eval.caltech import GtObject
from pkg_shared.errors import DataFormatError
from pkg_shared.metrics.detection import FPPI_POINTS_EXACT, log_average_miss_rate, recall_at_fppi


def person(x, y, w, h, label="person", bbv=(0, 0, 0, 0)):
    return GtObject(label, np.array([x, y, w, h], float), np.array(bbv, float))


def test_worked_example_mr():
    # 100 frames, 10 GT; pooled order TP x5, FP x1, TP x2, FP x9, TP x1, FP x90
    kinds = [1] * 5 + [0] + [1] * 2 + [0] * 9 + [1] + [0] * 90
    scores = np.linspace(1, 0.01, len(kinds))
    dts = [np.zeros((0, 6))] * 99 + [np.column_stack([np.zeros((len(kinds), 4)), scores, kinds])]
    gts = [np.zeros((0, 5))] * 99 + [np.column_stack([np.zeros((10, 4)), np.r_[np.ones(8), np.zeros(2)]])]
    fppi, recall, _, n_gt = ce.comp_roc(gts, dts)
    assert n_gt == 10
    pts = recall_at_fppi(fppi, recall, FPPI_POINTS_EXACT, "zero")
    np.testing.assert_allclose(pts, [0.7] * 4 + [0.8] * 5)
    assert log_average_miss_rate(pts) == pytest.approx(0.239493, abs=1e-6)
    assert math.exp((4 * math.log(0.3) + 5 * math.log(0.2)) / 9) == pytest.approx(0.239493, abs=1e-6)


def test_ignore_region_ioa_absorbs_several_detections():
    gt = np.array([[100, 100, 200, 200, 1.0]])  # ignore region
    dt = np.array([[120, 120, 20, 40, 0.9], [200, 150, 20, 40, 0.8]])  # small, IoU << 0.5, IoA = 1
    g, d = ce.eval_frame(gt, dt)
    assert list(d[:, 5]) == [-1, -1]
    assert g[0, 4] == -1


def test_normal_gt_matched_once_second_is_fp_and_highest_score_wins():
    gt = np.array([[10, 10, 20, 50, 0.0]])
    dt = np.array([[10, 10, 20, 50, 0.5], [11, 10, 20, 50, 0.9]])
    g, d = ce.eval_frame(gt, dt)
    # sorted by score: the 0.9 detection comes first and takes the GT
    assert d[0, 4] == 0.9 and d[0, 5] == 1
    assert d[1, 5] == 0
    assert g[0, 4] == 1


def test_scan_stops_at_ignore_once_matched():
    # normal GT (IoU 0.6) listed before an ignore GT with IoA 1: the normal match is kept
    gt = np.array([[0, 0, 10, 50, 1.0], [0, 0, 10, 50, 0.0]])
    dt = np.array([[0, 10, 10, 50, 0.9]])
    iou = 40 * 10 / (2 * 500 - 400)
    assert iou > 0.5
    g, d = ce.eval_frame(gt, dt)
    assert d[0, 5] == 1
    assert list(g[:, 4]) == [1, -1]  # ignore-last order


def test_height_filter_of_detections_reasonable():
    s = ce.SETUPS["Reasonable"]
    dt = np.array([[0, 0, 16.4, 40, 1], [0, 0, 16, 39, 1]])
    kept = ce.frame_dt(dt, s)
    assert len(kept) == 1 and kept[0, 3] == 40


def test_gt_filters_bounds_visibility_and_halfopen_height():
    s = ce.SETUPS["Reasonable"]
    objs = [person(4, 100, 30, 80),  # x < 5 -> ignore
            person(100, 100, 30, 80),  # unoccluded, vf = inf -> positive
            person(200, 100, 30, 80, bbv=(200, 100, 30, 40)),  # vf 0.5 -> ignore
            person(300, 100, 20, 50),  # h = 50 included ([50, inf))
            person(400, 100, 20, 49)]  # h = 49 ignore
    g = ce.frame_gt(objs, s)
    assert list(g[:, 4]) == [1, 0, 1, 0, 1]
    part = ce.frame_gt([person(100, 100, 30, 80)], ce.SETUPS["Occ=partial"])
    assert part[0, 4] == 1  # vf = inf is outside [0.65, 1]
    far = ce.frame_gt([person(100, 100, 10, 30), person(100, 100, 10, 29.9)], ce.SETUPS["Scale=far"])
    assert list(far[:, 4]) == [1, 0]  # [20, 30) half-open


def test_gt_aspect_standardisation_and_labels():
    g = ce.frame_gt([person(100, 100, 30, 100), person(300, 100, 30, 100, "person-fa"),
                     person(400, 100, 30, 100, "people"), person(500, 100, 30, 100, "person?")], ce.SETUPS["Reasonable"])
    assert len(g) == 3  # person-fa dropped
    np.testing.assert_allclose(g[0, :4], [100 + 15 - 20.5, 100, 41, 100])
    assert list(g[:, 4]) == [0, 1, 1]
    np.testing.assert_allclose(g[1, :4], [400, 100, 30, 100])  # ignore boxes keep their shape


def test_person_fa_detection_is_false_positive():
    gt_frames = [[person(300, 100, 41, 100, "person-fa"), person(100, 100, 41, 100)]]
    dets = [np.array([[300, 100, 41, 100, 0.9], [100, 100, 41, 100, 0.8]])]
    r = ce.evaluate(gt_frames, dets, "Reasonable")
    # one FP (fppi 1) then the TP: recall 0 at FPPI < 1, recall 1 at FPPI = 1
    np.testing.assert_allclose(r["recall_at_fppi"], [0] * 8 + [1])
    assert r["mr"] == 0.0 or r["mr"] == pytest.approx(0)


def test_fppi_counts_frames_without_gt_and_detection_resize():
    gt_frames = [[person(100, 100, 41, 100)]] + [[] for _ in range(9)]
    dets = [np.array([[100 + 20.5 - 10, 100, 20, 100, 0.9]])] + [np.array([[300, 50, 41, 100, 0.5]])] * 9
    r = ce.evaluate(gt_frames, dets, "Reasonable")
    # the 20-px-wide detection becomes 41 wide (resize_dets) and matches; 9 FPs over 10 frames
    assert r["n_gt"] == 1
    assert r["fppi"][-1] == pytest.approx(0.9)
    r2 = ce.evaluate(gt_frames, dets, "Reasonable", resize_dets=False)
    iou = 20 * 100 / (41 * 100)
    assert iou < 0.5 and r2["recall_at_fppi"][-1] == 0


def test_perfect_warns_zero_and_none_is_one():
    gt_frames = [[person(100, 100, 41, 100)]]
    with pytest.warns(RuntimeWarning):
        r = ce.evaluate(gt_frames, [np.array([[100, 100, 41, 100, 1.0]])], "Reasonable")
    assert r["mr"] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = ce.evaluate(gt_frames, [np.zeros((0, 5))], "Reasonable")
    assert r["mr"] == 1.0


def test_result_files_round_trip_and_errors(tmp_path):
    d = [np.array([[1, 2, 3, 4, 0.5]]), np.zeros((0, 5)), np.array([[5, 6, 7, 8, 0.25], [1, 1, 1, 1, 0.1]])]
    ce.write_results(tmp_path / "set06" / "V000.txt", [29, 59, 89], d)
    text = (tmp_path / "set06" / "V000.txt").read_text().splitlines()
    assert text[0].startswith("30,")  # 1-based frame numbers
    back = ce.read_results(tmp_path / "set06" / "V000.txt")
    assert sorted(back) == [29, 89]
    np.testing.assert_allclose(back[89], d[2], atol=1e-4)
    bad = tmp_path / "bad.txt"
    bad.write_text("30,1,2,3,4,0.5\n31,1,2,3\n")
    with pytest.raises(DataFormatError) as e:
        ce.read_results(bad)
    assert "bad.txt:2" in str(e.value)
