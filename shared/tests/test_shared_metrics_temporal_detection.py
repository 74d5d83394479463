import numpy as np
import pytest

from pkg_shared.metrics.detection import (
    FPPI_POINTS_EXACT,
    log_average_miss_rate,
    recall_at_fppi,
    roc_curve,
)
from pkg_shared.metrics.temporal import mean_iou_top1, recall_at_n_iou, temporal_iou, temporal_nms


def test_temporal_iou_hand():
    iou = temporal_iou(np.array([[0, 10], [20, 30]]), np.array([[5, 15]]))
    assert iou[:, 0].tolist() == pytest.approx([5 / 15, 0.0])
    # TALL's unclamped variant: disjoint segments give a negative value
    assert temporal_iou(np.array([[20, 30]]), np.array([[5, 15]]), clamp=False)[0, 0] == pytest.approx(-5 / 25)


def test_nms_and_recall():
    segs = np.array([[0, 10], [1, 10], [20, 30], [0, 9]])
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    keep = temporal_nms(segs, scores, threshold=0.5)
    assert keep.tolist() == [0, 2]
    preds = [segs[keep]]
    gt = np.array([[19, 30]])
    r = recall_at_n_iou(preds, gt, ns=(1, 2), ms=(0.5,))
    assert r["R@1,IoU=0.5"] == 0.0 and r["R@2,IoU=0.5"] == 1.0
    # boundary: IoU exactly 0.5 counts with ge, not with gt
    preds2 = [np.array([[0, 10]])]
    gt2 = np.array([[0, 5]])
    assert recall_at_n_iou(preds2, gt2, ns=(1,), ms=(0.5,), compare="ge")["R@1,IoU=0.5"] == 1.0
    assert recall_at_n_iou(preds2, gt2, ns=(1,), ms=(0.5,), compare="gt")["R@1,IoU=0.5"] == 0.0
    assert mean_iou_top1(preds2 + [np.zeros((0, 2))], np.array([[0, 5], [1, 2]])) == pytest.approx(0.25)


def test_lamr_worked_example_from_the_detect_spec():
    # 100 frames, 10 GT; pooled detections in score order: TP x5, FP x1, TP x2, FP x9, TP x1, FP x90
    labels = [1] * 5 + [0] + [1] * 2 + [0] * 9 + [1] + [0] * 90
    scores = np.linspace(1.0, 0.0, len(labels))
    fppi, recall = roc_curve(scores, np.array(labels, bool), num_gt=10, num_images=100)
    rec = recall_at_fppi(fppi, recall, FPPI_POINTS_EXACT, empty="zero")
    assert rec.tolist() == pytest.approx([0.7, 0.7, 0.7, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8])
    assert log_average_miss_rate(rec) == pytest.approx(0.239493, abs=1e-6)


def test_empty_prefix_modes():
    fppi = np.array([0.5, 1.0])
    recall = np.array([0.4, 0.6])
    assert recall_at_fppi(fppi, recall, np.array([0.1]), empty="zero").tolist() == [0.0]
    assert recall_at_fppi(fppi, recall, np.array([0.1]), empty="last").tolist() == [0.6]


def test_zero_miss_rate_warns():
    with pytest.warns(RuntimeWarning):
        assert log_average_miss_rate(np.array([1.0, 0.5])) == 0.0


def test_nms_matches_a_brute_force_greedy():
    rng = np.random.default_rng(0)
    starts = rng.random(60) * 50
    segs = np.stack([starts, starts + 1 + rng.random(60) * 20], 1)
    scores = np.round(rng.random(60), 1)
    keep = []
    for i in sorted(range(60), key=lambda k: (-scores[k], k)):
        if all(temporal_iou(segs[i : i + 1], segs[j : j + 1])[0, 0] <= 0.4 for j in keep):
            keep.append(i)
    assert temporal_nms(segs, scores, 0.4).tolist() == keep
    assert temporal_nms(segs, scores, 0.4, top_k=3).tolist() == keep[:3]
