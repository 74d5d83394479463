"""grounding-score: score a prediction file (any model's, moment_detr jsonl layout) against the official annotations."""

from __future__ import annotations

import json
import pathlib

from pkg_grounding.config import DataConfig, EvalConfig, GroundingConfig
from pkg_grounding.data.dataset import read_split
from pkg_grounding.data.qvhighlights import read_qvhighlights
from pkg_grounding.engine.evaluate import score_predictions
from pkg_grounding.engine.seeds import aggregate
from pkg_grounding.metrics.didemo import frequency_prior
from pkg_grounding.predictions import read_predictions
from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import DataFormatError, PkgError
from pkg_shared.fsutil import atomic_write_json
from pkg_shared.io.tables import read_json

EPILOG = """examples:
  grounding-score --preds preds.jsonl --dataset charades_sta --root data/Charades-STA --split test
  grounding-score --preds preds.jsonl --dataset didemo --root data/DiDeMo --split val --out metrics.json
  grounding-score --prior --dataset didemo --root data/DiDeMo --split val   # moment-frequency prior of train
    (the official script gives Rank@1 0.186842, Rank@5 0.686842, mIoU 0.252216 for it on the real val)
  grounding-score --preds preds.jsonl --gt charades_test.jsonl --protocol moment_detr   # any moment_detr-format GT
  grounding-score --preds preds.jsonl --dataset charades_sta --root data/Charades-STA --protocol ours --nms tall
  grounding-score --aggregate seed0.json seed1.json seed2.json --out mean_std.json
    (mean +/- std of every metric over result JSONs of grounding-eval/grounding-score --out)
Charades-STA predictions are NMS'd by each protocol itself, so give the raw ranked candidates."""


def parse_nms(text: str) -> float | str:
    """'none' -> 1.0 (an IoU is never above 1, so nothing is suppressed), '2dtan' -> 0.5, 'tall', or a number."""
    named = {"none": 1.0, "2dtan": 0.5, "tall": "tall"}
    if text in named:
        return named[text]
    try:
        value = float(text)
    except ValueError:
        raise PkgError(f"--nms {text!r}: expected a number in [0, 1], none, 2dtan or tall") from None
    if not 0.0 <= value <= 1.0:
        raise PkgError(f"--nms {text!r}: the threshold must lie in [0, 1]")
    return value


def aggregate_files(paths: list[str], out: str | None) -> int:
    results = []
    for path in paths:
        if not pathlib.Path(path).is_file():
            raise DataFormatError(path, "result JSON not found")
        data = read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
            raise DataFormatError(path, "not a result JSON with a 'metrics' object (grounding-eval/score --out)")
        results.append(data["metrics"])
    summary = {"files": paths, "std": "sample standard deviation (ddof = 1)", "metrics": aggregate(results)}
    if out:
        atomic_write_json(out, summary)
    print(json.dumps(summary, indent=2))
    return 0


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("grounding-score", __doc__, config=False, seed=False, out=False, device=False)
    p.epilog = EPILOG
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--preds", help="jsonl prediction file")
    src.add_argument("--prior", action="store_true",
                     help="DiDeMo: score the moment-frequency prior of train_data.json instead (sanity check)")
    src.add_argument("--aggregate", nargs="+", metavar="RESULT_JSON",
                     help="mean +/- std over result JSONs (one per seed) instead of scoring")
    p.add_argument("--dataset", choices=["charades_sta", "didemo", "qvhighlights"],
                   help="required unless --aggregate or --gt")
    p.add_argument("--root", help="folder of the official annotation files (required unless --aggregate or --gt)")
    p.add_argument("--gt", help="instead of --dataset/--root/--split: a ground-truth file in the moment_detr jsonl "
                   "layout (QVHighlights, or any set written by grounding-data convert)")
    p.add_argument("--split", default="test")
    p.add_argument("--protocol", choices=["all", "ours", "2dtan", "tall", "moment_detr"], default="all")
    p.add_argument("--iou-compare", choices=["ge", "gt"], default="ge", help="protocol 'ours': IoU >= m or > m")
    p.add_argument("--nms", default="0.5", help="protocol 'ours': NMS threshold, or 'none', '2dtan' (0.5), "
                   "'tall' (m - 0.05 per IoU level)")
    p.add_argument("--miou", choices=["top1", "top3of5"], default="top1", help="protocol 'ours': mIoU definition")
    p.add_argument("--moment-detr-nms", type=float, default=0.0,
                   help="protocol 'moment_detr': NMS before its top-10 (moment_detr's --nms_thd; 0 = none, official)")
    p.add_argument("--out", help="also write the metrics JSON here")
    args = p.parse_args(argv)
    if args.aggregate:
        return aggregate_files(args.aggregate, args.out)
    nms = parse_nms(args.nms)
    if args.gt:
        if args.prior:
            raise PkgError("--prior needs --dataset didemo --root DIR, not --gt")
        args.dataset, args.split = "qvhighlights", str(args.gt)
    elif not args.dataset or not args.root:
        raise PkgError("--dataset and --root are required (except with --aggregate or --gt)")
    cfg = GroundingConfig(data=DataConfig(dataset=args.dataset, root=args.root or "", val_fraction=0.0),
                          eval=EvalConfig(protocol=args.protocol, iou_compare=args.iou_compare, miou=args.miou,
                                          moment_detr_nms=args.moment_detr_nms))
    queries = read_qvhighlights(args.gt) if args.gt else read_split(cfg.data, args.split)[0]
    if args.prior:
        if args.dataset != "didemo":
            raise PkgError("--prior is defined for DiDeMo only")
        train_q, _ = read_split(cfg.data, "train")
        ranked = [list(m) for m in frequency_prior([q.times for q in train_q])]
        preds = {q.qid: {"qid": q.qid, "pred_moments": ranked} for q in queries}
    else:
        preds = read_predictions(args.preds)
    missing = [q.qid for q in queries if q.qid not in preds]
    if missing:
        raise PkgError(f"{args.preds}: no prediction for {len(missing)} of {len(queries)} queries (e.g. qid {missing[0]})")
    if args.dataset == "didemo" and any("pred_moments" not in preds[q.qid] for q in queries):
        raise PkgError(f"{args.preds}: DiDeMo needs 'pred_moments' (all 21 moments ranked) for every query")
    metrics = score_predictions([preds[q.qid] for q in queries], queries, cfg, nms=nms)
    result = {"preds": args.preds or "moment-frequency prior of train", "dataset": args.dataset, "split": args.split, "queries": len(queries),
              "metrics": metrics}
    if args.out:
        atomic_write_json(args.out, result)
    print(json.dumps(result, indent=2))
    return 0
