"""PKU-MMD detection metrics, reproducing the official ``evaluate.py`` (ECHO960/PKU-MMD, Python 2).

What the official script does (and so do we in the ``official`` block):

* overlap of a detection = the largest ``(min(e, e_g) - max(s, s_g)) / (max(e, e_g) - min(s, s_g))``
  over ground truths of the same label in the same video, floored at 0 (no +1 frame terms);
  a detection is positive at threshold θ when its overlap >= θ. There is no one-to-one matching:
  several detections of one ground truth are all positive, and recall is clipped at 1.
* ``ap``: stable sort by confidence ascending, then remove detections from the lowest confidence;
  each removed positive gives a (precision, recall) point and adds
  ``max_precision_so_far * (previous_recall - recall)``; the remainder ``max_precision * recall`` is
  added at the end.
* ``mAP_action`` divides the sum of per-class AP by ``number_label = 52`` (index 0 is an empty class),
  i.e. by 52 and not 51; a class without ground truth or detections contributes 0.
* ``2DAP`` = mean of pooled AP over θ = 0.01, 0.02, ..., 1.00 (100 values, ``(r + 1) * 0.01``).
* The video set is the set of detection files; ground truth of videos without a detection file is
  not counted. Video order is ``os.listdir`` there; we use sorted names (it only matters for ties).

The ``peer`` block reports the common reading: mAP over the classes that have ground truth, and
all ground-truth videos counted (videos without detections contribute misses).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Det = tuple[int, float, float, float]  # label, start, end, confidence

NUMBER_LABEL = 52


def overlap(det: Det, gts: Sequence[Det]) -> float:
    label, start, end, _ = det
    best = 0.0
    for gl, gs, ge, _ in gts:
        if int(gl) != int(label):
            continue
        best = max(best, (min(ge, end) - max(gs, start)) * 1.0 / (1.0 * (max(ge, end) - min(gs, start))))
    return best


def ap(props: Sequence[tuple[float, float]], ratio: float, total: int) -> float:
    """Official interpolated AP of (confidence, overlap) pairs against ``total`` ground truths."""
    if total == 0:
        return 0.0
    lst = sorted(props, key=lambda x: x[0])  # stable, like list.sort
    pos = float(sum(1 for _, o in lst if o >= ratio))
    number = float(len(lst))
    score = 0.0
    old_precision = 0.0
    old_recall = min(pos / total, 1.0)
    for _, o in lst:
        number -= 1
        if o < ratio:
            continue
        pos -= 1
        if number == 0:
            break
        precision = pos / number
        recall = min(pos / total, 1.0)
        if precision > old_precision:
            old_precision = precision
        score += old_precision * (old_recall - recall)
        old_recall = recall
    return score + old_precision * old_recall


def f1(props: Sequence[tuple[float, float]], ratio: float, total: int) -> float:
    """Official F1 (recall not clipped); 0 where the script would divide by zero."""
    pos = float(sum(1 for _, o in props if o >= ratio))
    if not props or total == 0 or pos == 0:
        return 0.0
    precision, recall = pos / len(props), pos / total
    return 2 * precision * recall / (precision + recall)


def _scores(dets: Mapping[str, Sequence[Det]], gts: Mapping[str, Sequence[Det]], videos: Sequence[str],
            theta: float) -> dict:
    v_props, v_totals = [], []
    a_props: list[list[tuple[float, float]]] = [[] for _ in range(NUMBER_LABEL)]
    a_totals = [0] * NUMBER_LABEL
    for vid in videos:
        g = list(gts.get(vid, ()))
        props = []
        for d in dets.get(vid, ()):
            props.append((int(d[0]), float(d[3]), overlap(d, g)))
        v_props.append([(c, o) for _, c, o in props])
        v_totals.append(len(g))
        for lab, c, o in props:
            a_props[lab].append((c, o))
        for gl, *_ in g:
            a_totals[int(gl)] += 1
    all_props = [p for lst in a_props for p in lst]
    total = sum(a_totals)
    per_class = [ap(a_props[k], theta, a_totals[k]) for k in range(NUMBER_LABEL)]
    with_gt = [k for k in range(1, NUMBER_LABEL) if a_totals[k] > 0]
    return {
        "F1": f1(all_props, theta, total),
        "AP": ap(all_props, theta, total),
        "mAP_action": sum(per_class) / NUMBER_LABEL,
        "mAP_action_gt_classes": sum(per_class[k] for k in with_gt) / len(with_gt) if with_gt else 0.0,
        "mAP_video": sum(ap(p, theta, t) for p, t in zip(v_props, v_totals)) / len(v_props) if v_props else 0.0,
        "2DAP": sum(ap(all_props, (r + 1) * 0.01, total) for r in range(100)) / 100,
        "per_class_AP": {str(k): per_class[k] for k in with_gt},
        "num_videos": len(videos),
        "num_detections": len(all_props),
        "num_ground_truth": total,
        "classes_without_gt": sum(1 for k in range(1, NUMBER_LABEL) if a_totals[k] == 0),
    }


def evaluate(dets: Mapping[str, Sequence[Det]], gts: Mapping[str, Sequence[Det]], theta: float = 0.5,
             official_only: bool = False) -> dict:
    """Both conventions; ``official`` equals the script's printout (mAP_action divides by 52)."""
    missing = sorted(v for v in dets if v not in gts)
    if missing:
        raise KeyError(f"no ground-truth file for video(s) {', '.join(missing[:5])}")
    official = _scores(dets, gts, sorted(dets), theta)
    out = {"theta": theta, "official": {k: official[k] for k in ("F1", "AP", "mAP_action", "mAP_video", "2DAP")}}
    out["official"]["convention"] = ("ECHO960/PKU-MMD evaluate.py: mAP_action = sum of 52 per-class APs / 52; "
                                     "videos = detection files; 2DAP over theta = 0.01..1.00")
    if not official_only:
        peer = _scores(dets, gts, sorted(set(gts) | set(dets)), theta)
        out["peer"] = {
            "mAP_action": peer["mAP_action_gt_classes"], "AP": peer["AP"], "mAP_video": peer["mAP_video"],
            "2DAP": peer["2DAP"], "F1": peer["F1"], "per_class_AP": peer["per_class_AP"],
            "convention": "mAP over classes with ground truth; all ground-truth videos count",
        }
        out["counts"] = {k: peer[k] for k in ("num_videos", "num_detections", "num_ground_truth",
                                               "classes_without_gt")}
        out["counts"]["videos_without_detections"] = len(set(gts) - set(dets))
    return out
