"""grounding-eval: predict a split with a checkpoint (or late-fuse several) and score it under every official
protocol side by side."""

from __future__ import annotations

import json

from pkg_grounding.cli.common import load_model
from pkg_grounding.data.dataset import Features, read_split
from pkg_grounding.engine.evaluate import Scorer, predict_fused, score_predictions
from pkg_grounding.predictions import write_predictions
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.config import apply_overrides, from_dict, to_dict
from pkg_shared.errors import PkgError
from pkg_shared.fsutil import atomic_write_json

EPILOG = """examples:
  grounding-eval --checkpoint runs/charades/best.pt --split test
  grounding-eval --checkpoint best.pt --set data.root=/data/Charades-STA --dump preds.jsonl --out metrics.json
  grounding-eval --checkpoint runs/didemo_rgb/best.pt --checkpoint runs/didemo_flow/best.pt --weights 0.5,0.5
    (late fusion as MCN: score = 0.5 * RGB model + 0.5 * flow model; each model reads its own features)
protocols: DiDeMo -> mcn; Charades-STA / QVHighlights -> ours, 2dtan, tall, moment_detr (side by side)"""


def parse_weights(text: str | None, n: int) -> list[float]:
    if not text:
        return [1.0 / n] * n
    try:
        w = [float(x) for x in text.split(",")]
    except ValueError:
        raise PkgError(f"--weights {text!r}: expected comma-separated numbers, e.g. 0.5,0.5") from None
    if len(w) != n:
        raise PkgError(f"--weights has {len(w)} values for {n} checkpoints")
    if any(x < 0 for x in w) or sum(w) <= 0:
        raise PkgError("--weights must be non-negative with a positive sum")
    return w


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("grounding-eval", __doc__, config=False, seed=False, out=False)
    p.epilog = EPILOG
    p.add_argument("--checkpoint", required=True, action="append",
                   help="best.pt / last.pt written by grounding-train; repeat to late-fuse models")
    p.add_argument("--weights", help="fusion weights, one per --checkpoint (default: equal)")
    p.add_argument("--split", default="test", help="train, val or test (default test)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override the checkpoints' config, e.g. data.root=/data/Charades-STA")
    p.add_argument("--protocol", choices=["all", "ours", "2dtan", "tall", "moment_detr"], default="all")
    p.add_argument("--out", help="also write the metrics JSON to this file")
    p.add_argument("--dump", help="write the predictions (jsonl, moment_detr-compatible) here")
    args = p.parse_args(argv)
    weights = parse_weights(args.weights, len(args.checkpoint))
    device = resolve_device(args.device)
    scorers = []
    for ck, w in zip(args.checkpoint, weights):
        model, cfg, vocab = load_model(ck, device)
        cfg = from_dict(type(cfg), apply_overrides(to_dict(cfg), list(args.overrides) + [f"eval.protocol={args.protocol}"]))
        scorers.append(Scorer(model, Features(cfg.data), vocab, cfg, w))
    cfg = scorers[0].cfg
    if any(s.cfg.data.dataset != cfg.data.dataset for s in scorers):
        raise PkgError("cannot fuse checkpoints trained on different datasets")
    queries, rep = read_split(cfg.data, args.split)
    for s in scorers:
        queries = s.feats.filter(queries, rep)
    preds = predict_fused(scorers, queries, device, show_progress=True)
    result = {"checkpoint": args.checkpoint[0] if len(scorers) == 1 else args.checkpoint,
              "dataset": cfg.data.dataset, "split": args.split, "queries": len(queries),
              "missing_feature_videos": len(rep.missing_features), "dropped_queries": rep.dropped}
    if len(scorers) > 1:
        result["late_fusion"] = {"weights": weights, "rule": "weighted sum of the models' segment (DiDeMo: moment) "
                                 "scores, then ranking / NMS as for one model"}
    if args.dump:
        write_predictions(args.dump, preds)
    if queries and not any(q.gt for q in queries):
        result["metrics"] = None
        result["note"] = "no ground truth in this split: predictions only (see --dump)"
    else:
        result["metrics"] = score_predictions(preds, queries, cfg)
    if args.out:
        atomic_write_json(args.out, result)
    print(json.dumps(result, indent=2))
    return 0
