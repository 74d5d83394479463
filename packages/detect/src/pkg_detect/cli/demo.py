"""``detect-demo``: official-format synthetic Caltech data -> short training -> Caltech evaluation ->
inference on one test frame -> a PNG of detections and heat maps -> ``summary.json``."""

from __future__ import annotations

import json
import pathlib
import time

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import PkgError
from pkg_shared.fsutil import atomic_write_json

EPILOG = """example:
  detect-demo --out demo/          # about a minute on 2 CPU cores
"""

DEMO_OVERRIDES = [
    "model.backbone=tiny", "model.neck_channels=32", "loss.kind=focal_heatmap",
    "data.train_sets=[0]", "data.every=1", "data.input_scale=0.5", "data.scale_jitter=[0.9,1.1]",
    "train.batch_size=4", "train.lr=0.003", "train.lr_steps=[1000]", "train.log_every=10",
    "train.ckpt_every=1000", "train.weight_decay=0.0", "loss.weights=[1,1,10]",
    # a briefly trained net has low peaks: decode down to low scores (the evaluation integrates over them)
    "decode.vertex_thresh=0.02", "decode.line_thresh=0.0", "decode.pair_thresh=0.0005",
]


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("detect-demo", "End-to-end TLL demo on generated data.", config=False, device=False)
    p.epilog = EPILOG
    p.add_argument("--steps", type=int, default=60, help="training iterations (default 60)")
    args = p.parse_args(argv)
    if args.out is None:
        raise PkgError("--out DIR is required")
    if args.steps < 1:
        raise PkgError("--steps must be >= 1")
    import torch

    from pkg_detect import config as C
    from pkg_detect.data import caltech, fake
    from pkg_detect.engine.evaluate import detect_caltech, evaluate_caltech, write_result_dir
    from pkg_detect.engine.infer import load_run, predict
    from pkg_detect.engine.train import train
    from pkg_detect.vis import map_sheet

    t0 = time.time()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seed = 0 if args.seed is None else args.seed
    torch.set_num_threads(1)  # predictable on shared 2-core machines

    def say(msg: str) -> None:
        print(f"[{time.time() - t0:5.1f}s] {msg}", flush=True)

    say("writing a synthetic Caltech set (set00 train, set06 test) as .seq + .vbb ...")
    root = fake.make_caltech(out / "caltech", seed=seed)
    cfg = C.load("tll_caltech", DEMO_OVERRIDES + [f"train.iterations={args.steps}", f"train.seed={seed}"])
    say(f"training a tiny TLL for {args.steps} steps on {len(caltech.index(root, (0,), 1))} frames ...")
    res = train(cfg, out / "run", root=root, quiet=True)
    say(f"loss {res['first_loss']:.3f} -> {res['last']['loss']:.3f}")
    model, cfg = load_run(out / "run")
    say("detecting on the test frames (every 30th of set06) and writing toolbox result files ...")
    frames, dets = detect_caltech(model, cfg, root, sets=(6,))
    write_result_dir(out / "res" / "TLL", frames, dets)
    ev = evaluate_caltech(root, out / "res" / "TLL", ["Reasonable", "Scale=far", "All"], sets=(6,))
    atomic_write_json(out / "eval.json", ev)
    mr = {k: v["mr_percent"] for k, v in ev["results"].items()}
    say("Caltech MR^-2 (code3.2.1, original protocol): " + ", ".join(f"{k}={v:.1f}%" for k, v in mr.items()))
    v, f = frames[0]
    img = caltech.load_seq(str(v.seq))[f]
    boxes, maps = predict(model, img, cfg, return_maps=True)
    pic = out / "detections.png"
    map_sheet(pic, img, maps, boxes, thresh=0.3, title=f"{v.name} frame {f}: TLL after {args.steps} steps")
    say(f"wrote {pic}")
    summary = {
        "ran": f"synthetic Caltech .seq/.vbb -> tiny TLL trained {args.steps} steps -> code3.2.1 evaluation "
               f"on {len(frames)} test frames -> inference + heat-map picture",
        "metric": f"MR-2 Reasonable={mr['Reasonable']:.1f}%, Far={mr['Scale=far']:.1f}%",
        "picture": pic.name,
        "loss": [res["first_loss"], res["last"]["loss"]],
        "seconds": round(time.time() - t0, 1),
    }
    atomic_write_json(out / "summary.json", summary)
    say("summary: " + json.dumps(summary))
    return 0
