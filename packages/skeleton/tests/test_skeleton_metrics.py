"""PKU-MMD official metric: hand-computed cases and a Python-3 port of the official script."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from pkg_skeleton.metrics import pkummd as M
from pkg_skeleton.metrics.recognition import summarise


def ev(dets, gts, theta=0.5):
    return M.evaluate(dets, gts, theta)


def test_overlap_formula_no_plus_one():
    assert M.overlap((1, 0, 10, 0.9), [(1, 5, 15, 1)]) == pytest.approx(5 / 15)
    assert M.overlap((1, 0, 10, 0.9), [(2, 0, 10, 1)]) == 0.0
    assert M.overlap((1, 0, 10, 0.9), [(1, 20, 30, 1)]) == 0.0  # negative IoU floored by the max with 0


def test_two_perfect_detections_give_ap_one():
    gts = {"v": [(1, 0, 100, 1), (1, 200, 300, 1)]}
    dets = {"v": [(1, 0, 100, 0.9), (1, 200, 300, 0.8)]}
    r = ev(dets, gts)
    assert r["official"]["AP"] == pytest.approx(1.0)
    assert r["official"]["mAP_action"] == pytest.approx(1 / 52)  # script divides by number_label = 52
    assert r["peer"]["mAP_action"] == pytest.approx(1.0)
    assert r["official"]["F1"] == pytest.approx(1.0)


def test_single_perfect_detection_scores_zero_quirk():
    # the script breaks before crediting the last (highest-confidence) positive
    r = ev({"v": [(1, 0, 100, 0.9)]}, {"v": [(1, 0, 100, 1)]})
    assert r["official"]["AP"] == 0.0


def test_hand_case_with_false_positive_in_the_middle():
    # ascending: 0.7 pos -> P=1/2, R=1/2 adds 0.5*0.5; 0.8 neg; 0.9 pos -> break; + 0.5*0.5 => 0.5
    gts = {"v": [(1, 0, 100, 1), (1, 200, 300, 1)]}
    dets = {"v": [(1, 0, 100, 0.9), (1, 500, 600, 0.8), (1, 200, 300, 0.7)]}
    assert ev(dets, gts)["official"]["AP"] == pytest.approx(0.5)


def test_duplicates_on_one_ground_truth_all_count():
    gts = {"v": [(1, 0, 100, 1)]}
    dets = {"v": [(1, 0, 100, 0.9), (1, 10, 100, 0.8)]}
    r = ev(dets, gts)
    assert r["official"]["AP"] == pytest.approx(1.0)  # recall clipped at 1, precision 1


def test_two_classes_and_videos():
    gts = {"a": [(1, 0, 100, 1), (1, 200, 300, 1)], "b": [(2, 0, 50, 1), (2, 100, 150, 1)]}
    dets = {"a": [(1, 0, 100, 0.9), (1, 200, 300, 0.8)], "b": [(2, 0, 50, 0.3), (2, 400, 450, 0.2)]}
    r = ev(dets, gts)
    # class 2: ascending 0.2 neg, 0.3 pos -> break: AP 0
    assert r["peer"]["per_class_AP"] == {"1": pytest.approx(1.0), "2": 0.0}
    assert r["official"]["mAP_action"] == pytest.approx(1 / 52)
    assert r["peer"]["mAP_action"] == pytest.approx(0.5)
    assert r["official"]["mAP_video"] == pytest.approx(0.5)


def test_2dap_threshold_sweep():
    gts = {"v": [(1, 0, 100, 1), (1, 200, 300, 1)]}
    dets = {"v": [(1, 0, 100, 0.9), (1, 200, 290, 0.8)]}  # overlaps 1.0 and 0.9
    r = ev(dets, gts)
    both = sum(1 for k in range(100) if (k + 1) * 0.01 <= 0.9)  # thresholds where both are positive -> AP 1
    assert r["official"]["2DAP"] == pytest.approx(both / 100)  # elsewhere AP 0 (single positive on top)


def test_peer_counts_videos_without_detections():
    gts = {"a": [(1, 0, 100, 1), (1, 200, 300, 1)], "b": [(1, 0, 100, 1)]}
    dets = {"a": [(1, 0, 100, 0.9), (1, 200, 300, 0.8)]}
    r = ev(dets, gts)
    assert r["official"]["AP"] == pytest.approx(1.0)  # b is ignored by the script
    assert r["peer"]["AP"] < 1.0 and r["counts"]["videos_without_detections"] == 1


# ---- Python-3 port of ECHO960/PKU-MMD evaluate.py (reading folders, as the script does) ----

def _official_ap(lst, ratio, total):
    lst.sort(key=lambda x: x[3])
    pos = sum([int(x[4] >= ratio) for x in lst]) * 1.0
    score = 0
    number = len(lst) * 1.0
    old_precision = 0
    if total == 0:
        return 0
    old_recall = min(pos / total, 1)
    for x in lst:
        number = number - 1
        if x[4] < ratio:
            continue
        pos = pos - 1
        if number == 0:
            break
        precision = pos / number
        recall = min(pos / total, 1)
        if precision > old_precision:
            old_precision = precision
        score += old_precision * (old_recall - recall)
        old_recall = recall
    score += old_precision * old_recall
    return score


def _official_ovlp(p, lst):
    label, start, end, conf = p
    overlap = 0.0
    for l_, s, e, _ in lst:
        if int(l_) != int(label):
            continue
        overlap = max(overlap, ((min(e, end) - max(s, start)) * 1.0) / (1.0 * (max(e, end) - min(s, start))))
    return overlap


def _official_process(det_dir, gt_dir, theta):
    v_props, v_grounds = [], []
    for video in sorted(os.listdir(det_dir)):
        with open(os.path.join(det_dir, video)) as fp, open(os.path.join(gt_dir, video)) as fg:
            prop = [[float(y) for y in line.replace(",", " ").split()] for line in fp]
            ground = [[float(y) for y in line.replace(",", " ").split()] for line in fg]
        v_props.append(prop)
        v_grounds.append(ground)
    for x in range(len(v_props)):
        for y in range(len(v_props[x])):
            v_props[x][y].append(_official_ovlp(v_props[x][y], v_grounds[x]))
    a_props = [[] for _ in range(52)]
    a_grounds = [[] for _ in range(52)]
    for x in range(len(v_props)):
        for y in range(len(v_props[x])):
            a_props[int(v_props[x][y][0])].append(v_props[x][y])
    for x in range(len(v_grounds)):
        for y in range(len(v_grounds[x])):
            a_grounds[int(v_grounds[x][y][0])].append(v_grounds[x][y])
    all_props = sum(a_props, [])
    all_grounds = sum(a_grounds, [])
    v_n = [len(x) for x in v_grounds]
    a_n = [len(x) for x in a_grounds]
    total = len(all_grounds)
    pos = sum(int(x[4] >= theta) for x in all_props)
    prec, rec = pos / len(all_props), pos / total
    return {
        "F1": 2 * prec * rec / (prec + rec),
        "AP": _official_ap(all_props, theta, total),
        "mAP_action": sum(_official_ap(a_props[x], theta, a_n[x]) for x in range(len(a_props))) / len(a_props),
        "mAP_video": sum(_official_ap(v_props[x], theta, v_n[x]) for x in range(len(v_props))) / len(v_props),
        "2DAP": sum(_official_ap(all_props, (r + 1) * 0.01, total) for r in range(100)) / 100,
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_port_of_official_script_on_random_detections(tmp_path, seed):
    from pkg_skeleton.engine.detect import read_folder

    rng = np.random.default_rng(seed)
    (tmp_path / "gt").mkdir()
    (tmp_path / "det").mkdir()
    for v in range(5):
        gt_lines, det_lines = [], []
        t = 0
        for _ in range(6):
            s = t + int(rng.integers(5, 40))
            e = s + int(rng.integers(30, 120))
            lab = int(rng.integers(1, 6))
            gt_lines.append(f"{lab},{s},{e},{int(rng.integers(1, 3))}")
            for _ in range(int(rng.integers(0, 4))):
                js, je = s + int(rng.integers(-30, 30)), e + int(rng.integers(-30, 30))
                dl = lab if rng.random() < 0.8 else int(rng.integers(1, 6))
                det_lines.append(f"{dl},{max(js, 0)},{max(je, js + 1)},{rng.choice([0.5, rng.random()]):.4f}")
            t = e
        (tmp_path / "gt" / f"{v:04d}-L.txt").write_text("\n".join(gt_lines) + "\n")
        (tmp_path / "det" / f"{v:04d}-L.txt").write_text("\n".join(det_lines) + "\n")
    ref = _official_process(str(tmp_path / "det"), str(tmp_path / "gt"), 0.5)
    got = M.evaluate(read_folder(tmp_path / "det"), read_folder(tmp_path / "gt"), 0.5)["official"]
    for k, v in ref.items():
        assert abs(got[k] - v) < 1e-12, k


def test_recognition_summary_vs_naive_loop():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 7, generator=g)
    labels = torch.randint(0, 7, (50,), generator=g)
    r = summarise(logits, labels, 7)
    top1 = sum(int(logits[i].argmax() == labels[i]) for i in range(50)) / 50
    top5 = sum(int(labels[i] in logits[i].argsort(descending=True)[:5]) for i in range(50)) / 50
    per_class = [np.mean([logits[i].argmax() == c for i in range(50) if labels[i] == c])
                 for c in range(7) if (labels == c).any()]
    assert r["top1"] == pytest.approx(top1) and r["top5"] == pytest.approx(top5)
    assert r["mean_class_accuracy"] == pytest.approx(float(np.mean(per_class)))
