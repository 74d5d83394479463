"""video-eval: video-level top-1/top-5 and mean class accuracy, 1-clip or 30-view, JSON out."""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.logging import setup
from pkg_video.cli._common import check_min, check_outputs, config, emit_json

EXAMPLE = """examples:
  video-eval --checkpoint runs/costb/best.pt --views 30 --out costb_val.json
  video-eval --checkpoint runs/costb/best.pt --views both --out costb_val.json   # 1-clip and 30-view numbers
  video-eval --checkpoint runs/costb/best.pt --views 1 --set data.root=/data/k400 --per-class --mmaction-compat
  video-eval --checkpoint runs/costb/best.pt --set data.test_sampling=mmaction1x --save-scores scores.npy
  video-eval --checkpoint runs/costb_mit/best.pt --submission mit_val_top5.txt   # MiT challenge format
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("video-eval", "Evaluate a checkpoint on the validation split with the multi-view protocol.",
                    out=False, seed=False)
    p.epilog = EXAMPLE
    p.add_argument("--checkpoint", required=True, help="our checkpoint (last.pt / best.pt)")
    p.add_argument("--views", choices=["1", "30", "both"],
                   help="1 = centre clip + centre crop; 30 = clips x crops; both = the two in one run (spec 6: "
                        "report both, say which): JSON keys views_1 and views_30, scores of the multi-view run")
    p.add_argument("--split", help="split to evaluate (default data.val_split)")
    p.add_argument("--per-class", action="store_true", help="add per-class top-1 to the JSON")
    p.add_argument("--mmaction-compat", action="store_true", help="report MMAction2's mean class accuracy")
    p.add_argument("--save-scores", type=pathlib.Path, help="write the (videos x classes) score matrix (.npy)")
    p.add_argument("--submission", type=pathlib.Path,
                   help="Moments in Time challenge file: '<filename> <class1> ... <class5>' per video (class indices)")
    p.add_argument("--out", help="JSON file (default: stdout)")
    p.add_argument("--workers", type=int, default=0)
    args = p.parse_args(argv)
    check_min(args, workers=0)
    check_outputs(files=[args.out, args.save_scores, args.submission])
    return run(args)


def run(args: argparse.Namespace) -> int:
    setup()
    from pkg_video import metrics
    from pkg_video.data.dataset import build_samples, check_classes
    from pkg_video.engine.checkpoint import load_trained
    from pkg_video.engine.evaluate import evaluate, submission_text

    device = resolve_device(args.device)
    model, ck_cfg, classes = load_trained(args.checkpoint, device)
    both = args.views == "both"
    if args.views and not both:
        args.overrides.append(f"eval.views='{args.views}'")
    if args.mmaction_compat:
        args.overrides.append("eval.mmaction_compat=true")
    cfg = config(args, base=ck_cfg)
    split = args.split or cfg.data.val_split
    samples, ds_classes, report = build_samples(cfg.data, split, classes)
    check_classes(samples, ds_classes, classes, report.get("csv") or report.get("list") or cfg.data.root)
    if both:
        import dataclasses

        one = evaluate(model, samples, cfg.data, dataclasses.replace(cfg.eval, views="1"), len(classes), device,
                       num_workers=args.workers, desc=f"eval {split} 1-clip")
        out = evaluate(model, samples, cfg.data, dataclasses.replace(cfg.eval, views="30"), len(classes), device,
                       num_workers=args.workers, desc=f"eval {split} multi-view")
        result = {"checkpoint": str(args.checkpoint), "split": split, "data": report,
                  "views_1": one["result"], "views_30": out["result"], "labeled": out["result"]["labeled"]}
    else:
        out = evaluate(model, samples, cfg.data, cfg.eval, len(classes), device, num_workers=args.workers,
                       desc=f"eval {split}")
        result = {"checkpoint": str(args.checkpoint), "split": split, "data": report, **out["result"]}
    if args.per_class and result.get("labeled"):
        lab = out["labels"] >= 0
        pc = metrics.per_class_accuracy(out["scores"][lab], out["labels"][lab])
        result["per_class_top1"] = {classes[c]: v for c, v in pc.items()}
    if args.save_scores:
        from pkg_shared.fsutil import atomic_open

        with atomic_open(args.save_scores, "wb") as fh:
            np.save(fh, out["scores"])
    if args.submission:
        from pkg_shared.fsutil import atomic_write_text

        atomic_write_text(args.submission, submission_text(samples, out["scores"], cfg.data))
        result["submission"] = str(args.submission)
    emit_json(result, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
