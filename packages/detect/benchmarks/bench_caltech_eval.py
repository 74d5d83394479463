"""Caltech evaluation speed: the full-size test set (4,024 frames, 100 detections per frame, synthetic)
with our vectorised evaluator against a plain per-detection reference loop, same data, same run.

    python packages/detect/benchmarks/bench_caltech_eval.py --out bench_eval.json [--frames 4024]
"""

from __future__ import annotations

import argparse

import numpy as np

from pkg_detect.eval import caltech as ce
from pkg_shared.engine.bench import compare, report


def synthetic(n_frames: int, dets_per_frame: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    gts, dts = [], []
    for _ in range(n_frames):
        k = rng.integers(0, 6)
        objs = []
        for _ in range(k):
            h = rng.uniform(20, 150)
            objs.append(ce.GtObject(rng.choice(["person", "person", "people", "person?"]),
                                    np.array([rng.uniform(0, 600), rng.uniform(0, 300), 0.41 * h, h]), np.zeros(4)))
        gts.append(objs)
        h = rng.uniform(15, 200, dets_per_frame)
        dts.append(np.column_stack([rng.uniform(0, 600, dets_per_frame), rng.uniform(0, 300, dets_per_frame),
                                    0.41 * h, h, rng.random(dets_per_frame)]))
    return gts, dts


def reference_eval_frame(gt, dt, thr=0.5):
    """Straight transcription of bbGt>evalRes with a Python overlap per pair (the baseline)."""
    gt = gt[np.argsort(gt[:, 4], kind="stable")]
    dt = dt[np.argsort(-dt[:, 4], kind="stable")]
    gm = [-v for v in gt[:, 4]]
    dm = [0] * len(dt)
    for d in range(len(dt)):
        bo, bg, bm = thr, -1, 0
        for g in range(len(gt)):
            if gm[g] == 1:
                continue
            if bm != 0 and gm[g] == -1:
                break
            o = ce.overlaps(dt[d:d + 1, :4], gt[g:g + 1, :4], np.array([gm[g] == -1]))[0, 0]
            if o < bo:
                continue
            bo, bg, bm = o, g, (1 if gm[g] == 0 else -1)
        if bm == -1:
            dm[d] = -1
        elif bm == 1:
            gm[bg] = 1
            dm[d] = 1
    return np.column_stack([gt[:, :4], gm]), np.column_stack([dt, dm])


def run(gts, dts, frame_fn):
    s = ce.SETUPS["Reasonable"]
    gr, dr = [], []
    for objs, dt in zip(gts, dts):
        g2, d2 = frame_fn(ce.frame_gt(objs, s), ce.frame_dt(dt, s), s.overlap)
        gr.append(g2)
        dr.append(d2)
    fppi, recall, _, _ = ce.comp_roc(gr, dr)
    return recall[-1] if len(recall) else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", help="JSON file")
    ap.add_argument("--frames", type=int, default=4024)
    ap.add_argument("--dets", type=int, default=100)
    args = ap.parse_args()
    gts, dts = synthetic(args.frames, args.dets)
    assert run(gts, dts, ce.eval_frame) == run(gts, dts, reference_eval_frame)
    r = compare(f"caltech-eval {args.frames} frames x {args.dets} dets (Reasonable)",
                lambda: run(gts, dts, ce.eval_frame), lambda: run(gts, dts, reference_eval_frame),
                warmup=0, repeat=1, extra={"frames": args.frames, "dets_per_frame": args.dets})
    print(report([r], args.out))


if __name__ == "__main__":
    main()
