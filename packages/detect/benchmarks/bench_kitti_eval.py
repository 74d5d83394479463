"""KITTI 2-D pedestrian AP speed: a val-sized synthetic set (3,769 frames, 4 pedestrians + 1 DontCare and
~100 detections per frame) with our evaluator (overlaps and candidate lists computed once per frame)
against a literal transcription of the devkit's per-threshold, per-pair loops; same data, same run,
same AP asserted.

    python packages/detect/benchmarks/bench_kitti_eval.py --out bench_kitti.json [--frames 3769]
"""

from __future__ import annotations

import argparse

import numpy as np

from pkg_detect.data.kitti import KittiObject
from pkg_detect.eval import kitti as K
from pkg_shared.engine.bench import compare, report


def synthetic(n_frames: int, dets_per_frame: int, seed: int = 0):
    rng = np.random.default_rng(seed)

    def obj(t, box, occ=0, trunc=0.0, score=None):
        return KittiObject(t, trunc, occ, 0.0, np.asarray(box, float), np.zeros(3), np.zeros(3), 0.0, score)

    gts, dts = [], []
    for _ in range(n_frames):
        g = []
        for _ in range(4):
            x, h = rng.uniform(0, 1100), rng.uniform(20, 200)
            g.append(obj("Pedestrian", [x, 100, x + 0.4 * h, 100 + h], int(rng.integers(0, 3)), rng.uniform(0, 0.5)))
        g.append(obj("Person_sitting", [800, 120, 830, 180]))
        g.append(obj("DontCare", [500, 50, 600, 150]))
        d = [obj("Pedestrian", gg.box + rng.normal(0, 2, 4), score=rng.uniform(0.3, 1)) for gg in g[:5]]
        for _ in range(dets_per_frame - len(d)):
            x, h = rng.uniform(0, 1150), rng.uniform(15, 200)
            d.append(obj("Pedestrian" if rng.random() < 0.9 else "Car", [x, 100, x + 0.4 * h, 100 + h],
                         score=rng.uniform()))
        gts.append(g)
        dts.append(d)
    return gts, dts


# --- the baseline: the devkit's loops transcribed as they are -----------------------------------------

def _ref_clean(gt, dt, diff):
    min_h, max_occ, max_trunc = K.DIFFICULTIES[diff]
    ig_gt, n = [], 0
    for g in gt:
        t = g.type.lower()
        valid = 1 if t == "pedestrian" else (0 if t == "person_sitting" else -1)
        ignore = g.occluded > max_occ or g.truncated > max_trunc or (g.box[3] - g.box[1]) <= min_h
        if valid == 1 and not ignore:
            ig_gt.append(0)
            n += 1
        elif valid == 0 or (ignore and valid == 1):
            ig_gt.append(1)
        else:
            ig_gt.append(-1)
    dc = [g.box for g in gt if g.type.lower() == "dontcare"]
    ig_dt = [1 if abs(d.box[3] - d.box[1]) < min_h else (0 if d.type.lower() == "pedestrian" else -1) for d in dt]
    return ig_gt, dc, ig_dt, n


def _ref_stats(gt, dt, dc, ig_gt, ig_dt, compute_fp, thresh=0.0):
    assigned = [False] * len(dt)
    below = [compute_fp and d.score < thresh for d in dt]
    tp = fp = fn = 0
    v = []
    for i, g in enumerate(gt):
        if ig_gt[i] == -1:
            continue
        idx, valid, max_ov, assigned_ignored = -1, K.NO_DETECTION, 0.0, False
        for j, d in enumerate(dt):
            if ig_dt[j] == -1 or assigned[j] or below[j]:
                continue
            ov = K.box_overlap(d.box, g.box, -1)
            if not compute_fp and ov > K.MIN_OVERLAP and d.score > valid:
                idx, valid = j, d.score
            elif compute_fp and ov > K.MIN_OVERLAP and (ov > max_ov or assigned_ignored) and ig_dt[j] == 0:
                max_ov, idx, valid, assigned_ignored = ov, j, 1, False
            elif compute_fp and ov > K.MIN_OVERLAP and valid == K.NO_DETECTION and ig_dt[j] == 1:
                idx, valid, assigned_ignored = j, 1, True
        if valid == K.NO_DETECTION and ig_gt[i] == 0:
            fn += 1
        elif valid != K.NO_DETECTION and (ig_gt[i] == 1 or ig_dt[idx] == 1):
            assigned[idx] = True
        elif valid != K.NO_DETECTION:
            tp += 1
            v.append(dt[idx].score)
            assigned[idx] = True
    if compute_fp:
        fp = sum(1 for j in range(len(dt)) if not (assigned[j] or ig_dt[j] != 0 or below[j]))
        for box in dc:
            for j, d in enumerate(dt):
                if assigned[j] or ig_dt[j] != 0 or below[j]:
                    continue
                if K.box_overlap(d.box, box, 0) > K.MIN_OVERLAP:
                    assigned[j] = True
                    fp -= 1
    return tp, fp, fn, v


def reference_ap(gts, dts, diff="Moderate"):
    """(AP11, AP40) by the literal loops."""
    cleaned, n_gt, v = [], 0, []
    for g, d in zip(gts, dts):
        ig_gt, dc, ig_dt, n = _ref_clean(g, d, diff)
        cleaned.append((g, d, dc, ig_gt, ig_dt))
        n_gt += n
        v += _ref_stats(g, d, dc, ig_gt, ig_dt, False)[3]
    ths = K.thresholds_for_recall(v, n_gt)
    prec = np.zeros(K.N_SAMPLE_PTS)
    for k, t in enumerate(ths):
        tp = fp = 0
        for c in cleaned:
            a, b, _, _ = _ref_stats(*c, True, t)
            tp, fp = tp + a, fp + b
        prec[k] = tp / (tp + fp)
    for k in range(len(ths)):
        prec[k] = prec[k:].max()
    return float(prec[0::4].sum() / 11), float(prec[1:].sum() / 40)


def ours(gts, dts, diff="Moderate"):
    r = K.evaluate(gts, dts, diff)
    return r["ap11"], r["ap40"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", help="JSON file")
    ap.add_argument("--frames", type=int, default=3769)
    ap.add_argument("--dets", type=int, default=100)
    args = ap.parse_args()
    gts, dts = synthetic(args.frames, args.dets)
    a, b = ours(gts, dts), reference_ap(gts, dts)
    assert np.allclose(a, b, rtol=0, atol=1e-12), (a, b)
    r = compare(f"kitti-eval {args.frames} frames x {args.dets} dets (Pedestrian Moderate)",
                lambda: ours(gts, dts), lambda: reference_ap(gts, dts),
                warmup=0, repeat=1, extra={"frames": args.frames, "dets_per_frame": args.dets,
                                           "ap11": a[0], "ap40": a[1]})
    print(report([r], args.out))


if __name__ == "__main__":
    main()
