"""CityPersons (official Python semantics) and KITTI AP on hand-computed cases."""

import numpy as np
import pytest

from pkg_detect.data.kitti import KittiObject
from pkg_detect.eval import citypersons as cpe
from pkg_detect.eval import kitti as kitti_eval
from pkg_detect.eval.kitti import average_precision


def _gt(n_images, boxes_per_image):
    images = [{"id": i + 1, "im_name": f"{i}.png", "height": 1024, "width": 2048} for i in range(n_images)]
    anns, k = [], 1
    for img, boxes in boxes_per_image.items():
        for b in boxes:
            anns.append({"id": k, "image_id": img, "category_id": 1, "iscrowd": 0, "ignore": 0, "bbox": b,
                         "vis_bbox": b, "height": b[3], "vis_ratio": 1.0})
            k += 1
    return {"images": images, "annotations": anns}


def test_citypersons_test_vector_matlab_and_python_semantics():
    # 10 images, 4 GT; detections in score order FP, TP, TP, FP, TP
    g = [[100 * j, 100, 41, 100] for j in range(4)]
    gt = _gt(10, {1: g})
    fp = [1000, 500, 41, 100]
    dets = [{"image_id": 1, "bbox": b, "score": s} for b, s in
            [(fp, 0.9), (g[0], 0.8), (g[1], 0.7), ([1500, 500, 41, 100], 0.6), (g[2], 0.5)]]
    py = cpe.evaluate(gt, dets, "Reasonable", "rounded", "last")
    ml = cpe.evaluate(gt, dets, "Reasonable", "rounded", "zero")
    assert ml["mr"] == pytest.approx(0.540030, abs=1e-6)
    assert py["mr"] == pytest.approx(0.291632, abs=1e-6)


def test_citypersons_ignore_and_heavy_variants():
    gt = _gt(1, {1: [[0, 0, 41, 100]]})
    gt["annotations"][0]["vis_ratio"] = 0.1
    dets = [{"image_id": 1, "bbox": [0, 0, 41, 100], "score": 0.9}]
    heavy_official = cpe.evaluate(gt, dets, "Reasonable_occ=heavy")  # [0.2, 0.65] -> GT ignored
    heavy_dagger = cpe.evaluate(gt, dets, "Heavy")  # [0, 0.65] -> GT counts
    assert heavy_official["n_gt"] == 0
    assert heavy_dagger["n_gt"] == 1 and heavy_dagger["mr"] == 0.0


def test_citypersons_max_1000_detections():
    gt = _gt(1, {1: [[0, 0, 41, 100]]})
    dets = [{"image_id": 1, "bbox": [500 + i, 0, 41, 100], "score": 1.0} for i in range(1000)]
    dets.append({"image_id": 1, "bbox": [0, 0, 41, 100], "score": 0.5})
    r = cpe.evaluate(gt, dets, "Reasonable")
    assert r["mr"] == 1.0  # the 1001st (true) detection is cut


def _k(t, box, occ=0, trunc=0.0, score=None):
    return KittiObject(t, trunc, occ, 0.0, np.array(box, float), np.zeros(3), np.zeros(3), 0.0, score)


def _ped(x, h=50, **kw):
    return _k("Pedestrian", [x, 0, x + 20, h], **kw)


def test_kitti_single_threshold_devkit_sampling():
    # TP 0.9, FP 0.8, a detection inside DontCare 0.7; one of two GT missed.
    # Pass 1 finds one TP -> one threshold (0.9) -> precision slot 0 = 1, slots 1..40 = 0.
    gt = [[_ped(0), _ped(100), _k("DontCare", [200, 0, 260, 50])]]
    dt = [[_ped(0, score=0.9), _ped(300, score=0.8), _k("Pedestrian", [205, 0, 255, 50], score=0.7)]]
    r = kitti_eval.evaluate(gt, dt, "Moderate")
    assert r["n_gt"] == 2 and r["thresholds"] == [0.9]
    assert r["ap11"] == pytest.approx(1 / 11)
    assert r["ap40"] == 0.0
    assert average_precision(gt, dt, "Moderate", 11) == pytest.approx(1 / 11)


def _case_c(split: bool):
    # 4 GT; detections by score: TP .9, FP .8, TP .7, in-DontCare .6, TP .5 (4th GT missed)
    g = [_ped(0), _ped(100), _ped(200), _ped(300), _k("DontCare", [500, 0, 600, 50])]
    d = [_ped(0, score=0.9), _ped(700, score=0.8), _ped(100, score=0.7),
         _k("Pedestrian", [510, 0, 540, 50], score=0.6), _ped(200, score=0.5)]
    if split:  # the same boxes over two frames: thresholds and counts are pooled
        return [g[:2], g[2:]], [d[:3], d[3:]]
    return [g], [d]


@pytest.mark.parametrize("split", [False, True])
def test_kitti_three_thresholds_dontcare_hand_computed(split):
    gt, dt = _case_c(split)
    r = kitti_eval.evaluate(gt, dt, "Moderate")
    # thresholds .9/.7/.5 -> precision 1, 2/3, 3/4 (the DontCare detection is not a FP) -> max filter 1, .75, .75
    assert r["thresholds"] == [0.9, 0.7, 0.5]
    np.testing.assert_allclose(r["precision"][:4], [1, 0.75, 0.75, 0])
    np.testing.assert_allclose(r["recall"][:3], [0.25, 0.5, 0.75])
    assert r["ap11"] == pytest.approx(1 / 11)
    assert r["ap40"] == pytest.approx(1.5 / 40)


def test_kitti_dontcare_removed_makes_that_detection_a_false_positive():
    gt, dt = _case_c(False)
    gt = [[g for g in gt[0] if g.type != "DontCare"]]
    r = kitti_eval.evaluate(gt, dt, "Moderate")
    np.testing.assert_allclose(r["precision"][:3], [1, 2 / 3, 0.6])  # 3 TP / 5 at threshold .5
    assert r["ap40"] == pytest.approx((2 / 3 + 0.6) / 40)


@pytest.mark.parametrize("n, ap11, ap40", [(40, 10 / 11, 39 / 40), (80, 1.0, 1.0)])
def test_kitti_perfect_detector_small_set_quirk(n, ap11, ap40):
    # n <= 40: one threshold per TP, so the 41st slot stays 0; n = 80: 41 thresholds at recall k/40
    gt = [[_ped(30 * i) for i in range(n)]]
    dt = [[_ped(30 * i, score=1 - i / 1000) for i in range(n)]]
    r = kitti_eval.evaluate(gt, dt, "Moderate")
    assert len(r["thresholds"]) == min(n, 41)
    assert r["ap11"] == pytest.approx(ap11) and r["ap40"] == pytest.approx(ap40)


def test_kitti_difficulty_filters_and_neighbour_class():
    gt = [[_ped(0, h=40), _ped(100, h=60, occ=1), _ped(200, h=60, trunc=0.2), _ped(300, h=60, occ=2),
           _ped(400, h=60, trunc=0.45), _ped(500, h=25), _k("Person_sitting", [600, 0, 620, 50]), _ped(700, h=60)]]
    assert [kitti_eval.evaluate(gt, [[]], d)["n_gt"] for d in ("Easy", "Moderate", "Hard")] == [1, 4, 6]
    # h = 40 GT is ignored for Easy (height <= 40); a detection on it is neither TP nor FP;
    # a detection on Person_sitting is ignored too; a 24-px detection is ignored (height < 25)
    dt = [[_ped(700, h=60, score=0.9), _ped(0, h=40, score=0.8), _k("Pedestrian", [600, 0, 620, 50], score=0.7),
           _k("Pedestrian", [900, 0, 920, 24], score=0.95)]]
    easy = kitti_eval.evaluate(gt, dt, "Easy")
    assert easy["thresholds"] == [0.9] and easy["precision"][0] == 1.0
    # a detection of h = 25 exactly is kept for Moderate (det test is '<'), the GT of h = 25 is not ('<=')
    gt2 = [[_ped(0, h=25)]]
    dt2 = [[_ped(0, h=25, score=0.9), _ped(300, h=60, score=0.5)]]
    r = kitti_eval.evaluate(gt2 + [[_ped(500, h=60)]], dt2 + [[_ped(500, h=60, score=0.8)]], "Moderate")
    assert r["n_gt"] == 1 and r["thresholds"] == [0.8]
    assert r["precision"][0] == 1.0  # at threshold .8 the .9 detection sits on an ignored GT: no FP
    with pytest.raises(ValueError, match="score"):
        kitti_eval.evaluate(gt2, [[_ped(0)]], "Moderate")


def test_kitti_overlap_matrix_equals_pairwise_devkit_formula():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 100, (7, 2))
    a = np.column_stack([a, a + rng.uniform(-5, 40, (7, 2))])  # some degenerate / inverted boxes too
    b = rng.uniform(0, 100, (5, 2))
    b = np.column_stack([b, b + rng.uniform(1, 40, (5, 2))])
    for crit in (-1, 0, 1):
        m = kitti_eval.overlap_matrix(a, b, crit)
        ref = [[kitti_eval.box_overlap(x, y, crit) for y in b] for x in a]
        np.testing.assert_allclose(m, ref, rtol=1e-12, atol=0)


@pytest.mark.parametrize("diff", ["Easy", "Moderate", "Hard"])
def test_kitti_evaluator_equals_literal_devkit_loops_on_random_frames(diff):
    """The precomputed evaluator against the devkit's loops transcribed as they are (benchmarks/)."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[1] / "benchmarks" / "bench_kitti_eval.py"
    spec = importlib.util.spec_from_file_location("bench_kitti_eval", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    gts, dts = bench.synthetic(60, 30, seed=3)
    r = kitti_eval.evaluate(gts, dts, diff)
    assert r["n_gt"] > 20 and 0 < r["ap40"] < 1
    np.testing.assert_allclose((r["ap11"], r["ap40"]), bench.reference_ap(gts, dts, diff), rtol=0, atol=1e-12)
