"""grounding-vis: timeline PNGs (per-step scores, top moments after NMS, ground truth) from a prediction file."""

from __future__ import annotations

import json
import pathlib

import numpy as np

from pkg_grounding.config import DataConfig
from pkg_grounding.data.dataset import read_split
from pkg_grounding.decode import nms_windows
from pkg_grounding.predictions import read_predictions
from pkg_grounding.viz import plot_timeline
from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import PkgError

EPILOG = """examples:
  grounding-vis --preds preds.jsonl --dataset charades_sta --root data/Charades-STA --split test --num 4 --out figs/
  grounding-vis --preds preds.jsonl --dataset didemo --root data/DiDeMo --split val --qid 12345 --out figs/"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("grounding-vis", __doc__, config=False, seed=False, device=False)
    p.epilog = EPILOG
    p.add_argument("--preds", required=True)
    p.add_argument("--dataset", choices=["charades_sta", "didemo", "qvhighlights"], required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--qid", action="append", default=[], help="query id to draw (repeatable)")
    p.add_argument("--num", type=int, default=4, help="without --qid: the first NUM queries")
    p.add_argument("--nms", type=float, default=0.5)
    args = p.parse_args(argv)
    queries, _ = read_split(DataConfig(dataset=args.dataset, root=args.root, val_fraction=0.0), args.split)
    preds = read_predictions(args.preds)
    by_id = {q.qid: q for q in queries}
    qids = args.qid or [q.qid for q in queries if q.qid in preds][: args.num]
    out = pathlib.Path(args.out or "figs")
    written = []
    for qid in qids:
        if qid not in by_id or qid not in preds:
            raise PkgError(f"qid {qid} is not in both {args.preds} and the {args.split} annotations")
        q, pr = by_id[qid], preds[qid]
        windows = nms_windows(np.asarray(pr.get("pred_windows", []), dtype=float).reshape(-1, 3), args.nms, 5)
        inside = pr.get("inside") or [0.0]
        written.append(plot_timeline(out / f"query_{qid}.png", inside, q.duration, windows.tolist(), q.sentence,
                                     gt=q.gt[0] if q.gt else None))
    print(json.dumps({"written": written}))
    return 0
