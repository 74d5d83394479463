"""Mean +/- std over seeds (spec section 4: "report mean +/- std of 3 seeds").

``run_seeds`` trains one run per seed (``OUT/seed_<s>/``), scores each run's best checkpoint on the
test split and aggregates; ``aggregate`` does the last step for result JSONs made any other way.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import pathlib
from collections.abc import Sequence

import numpy as np
import torch

from pkg_grounding.cli.common import load_model
from pkg_grounding.config import GroundingConfig
from pkg_grounding.data.dataset import Features, read_split
from pkg_grounding.engine.evaluate import Scorer, predict_fused, score_predictions
from pkg_shared.errors import PkgError
from pkg_shared.fsutil import atomic_write_json

log = logging.getLogger("pkg_grounding.seeds")


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def aggregate(results: Sequence[dict]) -> dict:
    """Leaf-wise over dicts of the same shape: numbers -> {mean, std, n, values} (std with ddof = 1;
    NaN/None values are left out), equal strings kept, differing ones listed."""
    if not results:
        raise PkgError("nothing to aggregate")
    out: dict = {}
    keys = list(dict.fromkeys(k for r in results for k in r))
    for k in keys:
        vals = [r.get(k) for r in results]
        if all(isinstance(v, dict) for v in vals if v is not None) and any(isinstance(v, dict) for v in vals):
            out[k] = aggregate([v for v in vals if v is not None])
        elif all(v is None or _is_number(v) for v in vals):
            nums = [float(v) for v in vals if v is not None and not math.isnan(float(v))]
            out[k] = {"mean": float(np.mean(nums)) if nums else None,
                      "std": float(np.std(nums, ddof=1)) if len(nums) > 1 else 0.0 if nums else None,
                      "n": len(nums), "values": nums}
        else:
            uniq = list(dict.fromkeys(str(v) for v in vals))
            out[k] = uniq[0] if len(uniq) == 1 else uniq
    return out


def evaluate_checkpoint(checkpoint: pathlib.Path, split: str, device: torch.device) -> dict:
    model, cfg, vocab = load_model(checkpoint, device)
    feats = Features(cfg.data)
    queries, rep = read_split(cfg.data, split)
    queries = feats.filter(queries, rep)
    preds = predict_fused([Scorer(model, feats, vocab, cfg)], queries, device)
    return score_predictions(preds, queries, cfg)


def run_seeds(cfg: GroundingConfig, out: str | pathlib.Path, device: torch.device, seeds: Sequence[int],
              resume: bool = False, split: str = "") -> dict:
    """Train every seed, score its best (else last) checkpoint on ``split`` (default: the test split;
    the val split when the test split has no labels, as QVHighlights), write ``OUT/seeds.json``."""
    from pkg_grounding.engine.train import train

    out = pathlib.Path(out)
    split = split or cfg.data.test_split
    if cfg.data.dataset == "qvhighlights" and split == "test":
        split = "val"  # the official test labels are withheld
    per_seed: dict[str, dict] = {}
    for s in seeds:
        run_dir = out / f"seed_{s}"
        scfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, seed=s))
        already = (run_dir / "test_metrics.json").is_file() and resume
        if not already:
            log.info("seed %d -> %s", s, run_dir)
            train(scfg, run_dir, device, resume=resume and (run_dir / "last.pt").is_file())
            ck = run_dir / "best.pt" if (run_dir / "best.pt").is_file() else run_dir / "last.pt"
            metrics = evaluate_checkpoint(ck, split, device)
            atomic_write_json(run_dir / "test_metrics.json", {"seed": s, "split": split, "checkpoint": str(ck),
                                                               "metrics": metrics})
        per_seed[str(s)] = json.loads((run_dir / "test_metrics.json").read_text())["metrics"]
    summary = {"seeds": list(seeds), "split": split, "std": "sample standard deviation (ddof = 1)",
               "metrics": aggregate(list(per_seed.values())), "per_seed": per_seed}
    atomic_write_json(out / "seeds.json", summary)
    return summary
