"""reid-eval: CMC rank-1/5/10/20, mAP in the official Market-1501 convention AND the torchreid
(non-interpolated) convention, and mINP, from saved features; optional k-reciprocal re-ranking.

Inputs: our .npz (reid-extract / a run's features.npz), a run folder, or a layumi-style
pytorch_result.mat. JSON goes to stdout, or to --out FILE.
Examples:
  reid-eval --features feats.npz
  reid-eval --run runs/litm --rerank --out runs/litm/eval_rerank.json
  reid-eval --features pytorch_result.mat --ap-mode official --per-query-csv ap.csv
  reid-eval --features feats.npz --aqe 5        (also average query expansion with the top 5)
  reid-eval --run runs/litm --gt-query /data/Market-1501-v15.09.15   (good/junk from gt_query/*.mat)
  reid-eval --features feats.npz --protocol cuhk03_classic --set classic_repeats=10
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

from pkg_reid.config import EvalConfig
from pkg_reid.engine.evaluate import evaluate_arrays, load_features, strip_per_query
from pkg_shared.cli import config_from_args, entrypoint, make_parser
from pkg_shared.errors import ConfigError
from pkg_shared.fsutil import atomic_open, atomic_write_json


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("reid-eval", __doc__, out=False, device=False, seed=False)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--features", type=pathlib.Path, help=".npz features or layumi pytorch_result.mat")
    src.add_argument("--run", type=pathlib.Path, help="run folder holding features.npz")
    p.add_argument("--rerank", action="store_true", help="also report k-reciprocal re-ranked results")
    p.add_argument("--aqe", type=int, metavar="K", help="also report average query expansion with the top K")
    p.add_argument("--ap-mode", choices=("official", "non_interpolated", "both"), default="both",
                   help="which AP convention the headline 'mAP' key uses (both are always in the JSON)")
    p.add_argument("--dist", choices=("euclidean", "cosine"), default=None)
    p.add_argument("--invalid-query", choices=("skip", "zero"), default=None)
    p.add_argument("--protocol", choices=("market", "cuhk03_classic"), default="market")
    p.add_argument("--gt-query", type=pathlib.Path, metavar="MARKET_ROOT",
                   help="take good/junk from Market's gt_query/*.mat instead of the id/camera rules")
    p.add_argument("--per-query-csv", type=pathlib.Path, help="write per-query AP (both conventions)")
    p.add_argument("--out", type=pathlib.Path, help="write the JSON here instead of stdout")
    args = p.parse_args(argv)
    if args.rerank:
        args.overrides.append("rerank=true")
    if args.aqe is not None:
        if args.aqe < 1:
            raise ConfigError(f"--aqe must be >= 1 (got {args.aqe})")
        args.overrides.append(f"aqe_k={args.aqe}")
    if args.dist:
        args.overrides.append(f"dist={args.dist}")
    if args.invalid_query:
        args.overrides.append(f"invalid_query={args.invalid_query}")
    cfg = config_from_args(EvalConfig, args)
    path = args.features if args.features is not None else args.run / "features.npz"
    if args.run is not None and not path.is_file():
        raise ConfigError(f"{path}: the run has no features.npz (train to the end or run reid-extract)")
    f = load_features(path)
    masks = None
    if args.gt_query is not None:
        from pkg_reid.data.market1501 import gt_query_masks

        if "q_paths" not in f or args.protocol != "market":
            raise ConfigError(f"{path}: --gt-query needs a market-protocol .npz with q_paths/g_paths (reid-extract)")
        masks = gt_query_masks(args.gt_query, f["q_paths"], f["g_paths"])
    res = evaluate_arrays(f["qf"], f["gf"], f["q_pids"], f["q_camids"], f["g_pids"], f["g_camids"], cfg, args.protocol,
                          masks)
    if args.per_query_csv and args.protocol == "market":
        pq = res["plain"]["per_query"]
        with atomic_open(args.per_query_csv, "w", encoding="utf-8") as fh:
            fh.write("query,pid,camid,valid,ap_official,ap_non_interpolated\n")
            for i in range(len(f["qf"])):
                fh.write(f"{i},{f['q_pids'][i]},{f['q_camids'][i]},{int(pq['valid'][i])},"
                         f"{pq['ap_official'][i]:.6f},{pq['ap_non_interpolated'][i]:.6f}\n")
    out = strip_per_query(res)
    out["source"] = str(path)
    out["good_junk_from"] = "market_rules" if masks is None else f"gt_query ({args.gt_query})"
    for part in ("plain", "reranked", "query_expansion"):
        if part in out and "mAP_official" in out[part]:
            mode = "official" if args.ap_mode in ("official", "both") else "non_interpolated"
            out[part]["mAP"] = out[part][f"mAP_{mode}"]
            out[part]["mAP_convention"] = mode
    text = json.dumps(out, indent=2, default=lambda o: o.tolist() if isinstance(o, np.ndarray) else str(o))
    if args.out:
        atomic_write_json(args.out, json.loads(text))
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
