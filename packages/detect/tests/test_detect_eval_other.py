"""CityPersons (official Python semantics) and KITTI AP on hand-computed cases."""

import numpy as np
import pytest

from pkg_detect.data.kitti import KittiObject
from pkg_detect.eval import citypersons as cpe
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


def test_kitti_ap_hand_computed():
    gt = [[_k("Pedestrian", [0, 0, 20, 50]), _k("Pedestrian", [100, 0, 120, 50]), _k("DontCare", [200, 0, 260, 50])]]
    dt = [[_k("Pedestrian", [0, 0, 20, 50], score=0.9), _k("Pedestrian", [300, 0, 320, 50], score=0.8),
           _k("Pedestrian", [205, 0, 255, 50], score=0.7)]]
    # TP (0.9), FP (0.8), ignored on DontCare; recall 0.5 max, precision 1 at recall 0.5
    ap11 = average_precision(gt, dt, "Moderate", 11)
    assert ap11 == pytest.approx(6 / 11)
    ap40 = average_precision(gt, dt, "Moderate", 40)
    assert ap40 == pytest.approx(20 / 40)
