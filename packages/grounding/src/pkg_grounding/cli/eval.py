"""grounding-eval: predict a split with a checkpoint and score it under every official protocol side by side."""

from __future__ import annotations

import json

from pkg_grounding.cli.common import load_model
from pkg_grounding.data.dataset import Features, read_split
from pkg_grounding.engine.evaluate import predict, score_predictions
from pkg_grounding.predictions import write_predictions
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.config import apply_overrides, from_dict, to_dict
from pkg_shared.fsutil import atomic_write_json

EPILOG = """examples:
  grounding-eval --checkpoint runs/charades/best.pt --split test
  grounding-eval --checkpoint best.pt --set data.root=/data/Charades-STA --dump preds.jsonl --out metrics.json
protocols: DiDeMo -> mcn; Charades-STA -> ours, 2dtan, tall, moment_detr (all printed side by side)"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("grounding-eval", __doc__, config=False, seed=False, out=False)
    p.epilog = EPILOG
    p.add_argument("--checkpoint", required=True, help="best.pt / last.pt written by grounding-train")
    p.add_argument("--split", default="test", help="train, val or test (default test)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override the checkpoint's config, e.g. data.root=/data/Charades-STA")
    p.add_argument("--protocol", choices=["all", "ours", "2dtan", "tall", "moment_detr"], default="all")
    p.add_argument("--out", help="also write the metrics JSON to this file")
    p.add_argument("--dump", help="write the predictions (jsonl, moment_detr-compatible) here")
    args = p.parse_args(argv)
    device = resolve_device(args.device)
    model, cfg, vocab = load_model(args.checkpoint, device)
    overrides = list(args.overrides) + [f"eval.protocol={args.protocol}"]
    cfg = from_dict(type(cfg), apply_overrides(to_dict(cfg), overrides))
    feats = Features(cfg.data)
    queries, rep = read_split(cfg.data, args.split)
    queries = feats.filter(queries, rep)
    preds = predict(model, queries, feats, vocab, cfg, device, show_progress=True)
    metrics = score_predictions(preds, queries, cfg)
    result = {"checkpoint": str(args.checkpoint), "dataset": cfg.data.dataset, "split": args.split,
              "queries": len(queries), "missing_feature_videos": len(rep.missing_features),
              "dropped_queries": rep.dropped, "metrics": metrics}
    if args.dump:
        write_predictions(args.dump, preds)
    if args.out:
        atomic_write_json(args.out, result)
    print(json.dumps(result, indent=2))
    return 0
