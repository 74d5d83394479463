"""KITTI object benchmark, 2-D pedestrian AP, as the devkit's ``evaluate_object.cpp`` computes it.

Per difficulty (Easy / Moderate / Hard = min box height 40/25/25 px, max occlusion level 0/1/2,
max truncation 0.15/0.30/0.50):

* GT ``Pedestrian`` counts unless too occluded, too truncated or **height <= min height** (then
  it is ignored: no TP, no FN, but it may absorb a detection); ``Person_sitting`` (the neighbouring
  class) is always ignored that way; other classes play no part; ``DontCare`` boxes are kept aside.
* Detections of another class play no part; a detection with **height < min height** is ignored
  (never a FP). Note the asymmetry (``<=`` for GT, ``<`` for detections): it is the devkit's.
* Matching, GT by GT in file order, overlap **strictly > 0.5** (IoU, no +1 pixel convention).
  Pass 1 (no score threshold) gives each GT the highest-scoring overlapping detection; the scores
  of the true positives found that way are sorted and thinned to at most 41 thresholds spaced at
  recall steps of 1/40 (``getThresholds``). Pass 2, per threshold: only detections scoring >= it
  count; each GT takes the overlapping detection of greatest IoU (a non-ignored one before an
  ignored one); unmatched detections are FP, minus those whose intersection / own area with a
  ``DontCare`` box exceeds 0.5.
* precision[i] = TP / (TP + FP) at threshold i (41 slots, zero where there are fewer thresholds),
  then precision[i] = max(precision[i:]).
  **AP11** (the devkit before Oct 2019) = mean of precision[0, 4, ..., 40];
  **AP40** (after; Simonelli et al.) = mean of precision[1 .. 40].

A quirk worth knowing: with few GT the thresholds are one per true positive, so slot i is the
(i+1)-th TP rather than recall i/40; a perfect detector on 40 pedestrians scores AP40 = 39/40.
"""

from __future__ import annotations

import bisect
import dataclasses

import numpy as np

from pkg_detect.data.kitti import KittiObject

DIFFICULTIES = {"Easy": (40, 0, 0.15), "Moderate": (25, 1, 0.30), "Hard": (25, 2, 0.50)}
MIN_OVERLAP = 0.5  # Pedestrian, image plane
N_SAMPLE_PTS = 41
NO_DETECTION = -10_000_000.0


def overlap_matrix(a: np.ndarray, b: np.ndarray, criterion: int = -1) -> np.ndarray:
    """:func:`box_overlap` for every pair of rows of ``a`` (n, 4) and ``b`` (m, 4), as an (n, m) array."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.where((w > 0) & (h > 0), w * h, 0.0)
    area_a = ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))[:, None]
    area_b = ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[None, :]
    den = {-1: area_a + area_b - inter, 0: np.broadcast_to(area_a, inter.shape),
           1: np.broadcast_to(area_b, inter.shape)}[criterion]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(inter > 0, inter / den, 0.0)


def box_overlap(a: np.ndarray, b: np.ndarray, criterion: int = -1) -> float:
    """imageBoxOverlap of [x1, y1, x2, y2] boxes: -1 IoU, 0 intersection / area(a), 1 / area(b)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    if criterion == -1:
        return float(inter / (area_a + area_b - inter))
    return float(inter / (area_a if criterion == 0 else area_b))


@dataclasses.dataclass
class _Frame:
    """One frame after cleanData, with what matching needs precomputed once (not per threshold)."""

    ignored_gt: list[int]  # 0 counts, 1 ignored (may absorb a detection), -1 not evaluated
    score: list[float]
    ignored_det: list[int]  # 0 counts, 1 ignored (too small), -1 other class
    candidates: list[list[tuple[int, float]]]  # per GT: (detection, IoU) with IoU > MIN_OVERLAP, det order
    fp_pool: list[bool]  # detection could be a FP: ignored_det == 0 and not inside a DontCare box
    fp_scores: list[float]  # sorted scores of the fp_pool detections


def clean_frame(gt: list[KittiObject], dt: list[KittiObject], difficulty: str, cls: str = "Pedestrian") -> tuple[_Frame, int]:
    """cleanData: ignore flags of one frame for one difficulty; returns the frame and its GT count."""
    min_h, max_occ, max_trunc = DIFFICULTIES[difficulty]
    ignored_gt, n_gt = [], 0
    for g in gt:
        t = g.type.lower()
        valid = 1 if t == cls.lower() else (0 if cls == "Pedestrian" and t == "person_sitting" else -1)
        height = g.box[3] - g.box[1]
        ignore = g.occluded > max_occ or g.truncated > max_trunc or height <= min_h
        if valid == 1 and not ignore:
            ignored_gt.append(0)
            n_gt += 1
        elif valid == 0 or (ignore and valid == 1):
            ignored_gt.append(1)
        else:
            ignored_gt.append(-1)
    dc = np.array([g.box for g in gt if g.type.lower() == "dontcare"], np.float64).reshape(-1, 4)
    ignored_det = []
    for d in dt:
        if d.score is None:
            raise ValueError("KITTI detections need a score (16th field)")
        height = abs(d.box[3] - d.box[1])
        if height < min_h:
            ignored_det.append(1)
        elif d.type.lower() == cls.lower():
            ignored_det.append(0)
        else:
            ignored_det.append(-1)
    gboxes = np.array([g.box for g in gt], np.float64).reshape(-1, 4)
    dboxes = np.array([d.box for d in dt], np.float64).reshape(-1, 4)
    iou = overlap_matrix(gboxes, dboxes, -1)
    cands = [[(int(j), float(iou[i, j])) for j in np.nonzero(iou[i] > MIN_OVERLAP)[0]] for i in range(len(gt))]
    in_dc = (overlap_matrix(dboxes, dc, 0) > MIN_OVERLAP).any(axis=1)
    scores = [float(d.score) for d in dt]
    pool = [ig == 0 and not c for ig, c in zip(ignored_det, in_dc)]
    frame = _Frame(ignored_gt, scores, ignored_det, cands, pool, sorted(s for s, p in zip(scores, pool) if p))
    return frame, n_gt


def frame_statistics(fr: _Frame, compute_fp: bool, thresh: float = 0.0) -> tuple[int, int, int, list[float]]:
    """computeStatistics: (tp, fp, fn, scores of the true positives) of one frame.

    Detections scoring below ``thresh`` are left out when ``compute_fp``. FP = detections of the class,
    not too small, above the threshold, not assigned to a GT and not inside a DontCare box (the
    devkit's count minus its DontCare subtraction, which removes each such detection once).
    """
    assigned: set[int] = set()
    tp = fn = 0
    tp_scores: list[float] = []
    for i, ig in enumerate(fr.ignored_gt):
        if ig == -1:
            continue
        det_idx, valid, max_iou, assigned_ignored = -1, NO_DETECTION, 0.0, False
        for j, iou in fr.candidates[i]:  # every branch needs IoU > MIN_OVERLAP
            if fr.ignored_det[j] == -1 or j in assigned or (compute_fp and fr.score[j] < thresh):
                continue
            if not compute_fp and fr.score[j] > valid:
                det_idx, valid = j, fr.score[j]
            elif compute_fp and (iou > max_iou or assigned_ignored) and fr.ignored_det[j] == 0:
                max_iou, det_idx, valid, assigned_ignored = iou, j, 1.0, False
            elif compute_fp and valid == NO_DETECTION and fr.ignored_det[j] == 1:
                det_idx, valid, assigned_ignored = j, 1.0, True
        if valid == NO_DETECTION:
            if ig == 0:
                fn += 1
        elif ig == 1 or fr.ignored_det[det_idx] == 1:
            assigned.add(det_idx)
        else:
            tp += 1
            tp_scores.append(fr.score[det_idx])
            assigned.add(det_idx)
    fp = 0
    if compute_fp:
        fp = len(fr.fp_scores) - bisect.bisect_left(fr.fp_scores, thresh)
        fp -= sum(1 for j in assigned if fr.fp_pool[j] and fr.score[j] >= thresh)
    return tp, fp, fn, tp_scores


def thresholds_for_recall(scores: list[float], n_gt: int) -> list[float]:
    """getThresholds: TP scores (descending) thinned to the ones nearest to recall steps of 1/40."""
    v = sorted(scores, reverse=True)
    out, current = [], 0.0
    for i, s in enumerate(v):
        left = (i + 1) / n_gt
        right = (i + 2) / n_gt if i < len(v) - 1 else left
        if (right - current) < (current - left) and i < len(v) - 1:
            continue
        out.append(s)
        current += 1.0 / (N_SAMPLE_PTS - 1.0)
    return out[:N_SAMPLE_PTS]  # the devkit's precision array has 41 slots


def evaluate(gt_frames: list[list[KittiObject]], dt_frames: list[list[KittiObject]], difficulty: str = "Moderate",
             cls: str = "Pedestrian") -> dict:
    """eval_class for one class and difficulty: AP11, AP40 (fractions), the 41-slot curve and counts."""
    if len(gt_frames) != len(dt_frames):
        raise ValueError("gt and detections must list the same frames")
    frames, n_gt, scores = [], 0, []
    for g, d in zip(gt_frames, dt_frames):
        fr, n = clean_frame(g, d, difficulty, cls)
        frames.append(fr)
        n_gt += n
        scores += frame_statistics(fr, compute_fp=False)[3]
    thresholds = thresholds_for_recall(scores, n_gt) if n_gt else []
    precision = np.zeros(N_SAMPLE_PTS)
    recall = np.zeros(N_SAMPLE_PTS)
    for k, t in enumerate(thresholds):
        tp = fp = fn = 0
        for fr in frames:
            a, b, c, _ = frame_statistics(fr, compute_fp=True, thresh=t)
            tp, fp, fn = tp + a, fp + b, fn + c
        recall[k] = tp / (tp + fn)
        precision[k] = tp / (tp + fp)
    for k in range(len(thresholds)):
        precision[k] = precision[k:].max()
    return {"difficulty": difficulty, "n_gt": n_gt, "ap11": float(precision[0::4].sum() / 11),
            "ap40": float(precision[1:].sum() / 40), "precision": precision.tolist(), "recall": recall.tolist(),
            "thresholds": thresholds}


def average_precision(gt_frames, dt_frames, diff: str = "Moderate", points: int = 40) -> float:
    """AP11 or AP40 (fraction; the devkit prints it x100)."""
    r = evaluate(gt_frames, dt_frames, diff)
    return r["ap11"] if points == 11 else r["ap40"]
