"""Cost of the inherited search vs the uniform one-shot baseline (spec §5.1 / issue "Performance").

Part 1 (real supernet, fake CIFAR-100 in the official format): wall time and candidate
evaluations of ``inherited`` vs ``uniform`` (exhaustive over A_{L_T}) with the same supernet epoch
budget, and whether they reach the same pick. Part 2 (oracle = separable concave accuracy, where
the inheritance relation holds): evaluations needed to find the optimum of A_L for L_T = 8/12/16.

    python packages/nas/benchmarks/bench_search_cost.py --out search_cost.json
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import pathlib
import random
import tempfile

from pkg_nas.config import PRESETS, DataConfig, RunConfig, SearchConfig, TrainConfig
from pkg_nas.data.datasets import build_splits
from pkg_nas.data.fake import write_cifar100
from pkg_nas.engine.search_run import run_search
from pkg_nas.search.baselines import uniform_search
from pkg_nas.search.evaluate import OracleEvaluator
from pkg_nas.search.inherited import inherited_search
from pkg_shared.engine.bench import compare, report


def oracle(seed: int):
    rng = random.Random(seed)
    w = [rng.uniform(0.5, 2) for _ in range(4)]
    r = [rng.uniform(0.1, 1) for _ in range(4)]
    return lambda a: sum(w[s] * (1 - math.exp(-r[s] * n)) for s, n in enumerate(a))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="JSON file for the results")
    ap.add_argument("--target-depth", type=int, default=7)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        write_cifar100(root, per_class=24, test_per_class=2, classes=10)
        cfg = RunConfig(model=PRESETS["tiny"],
                        data=DataConfig(root=str(root), batch_size=32, val_per_class=6, train_on="train_minus_val"),
                        train=TrainConfig(lr=0.1),
                        search=SearchConfig(target_depth=args.target_depth, e0=2, e_step=1, recal_batches=3, recal_batch_size=32))
        splits = build_splits(dataclasses.replace(cfg.data), 32)
        picks: dict = {}

        def run(method):
            def fn():
                picks[method] = run_search(cfg, method, None, device=args.device, splits=splits, log=lambda s: None)
            return fn

        r = compare(f"supernet search to L={args.target_depth}: inherited (candidate) vs uniform exhaustive (baseline)",
                    run("inherited"), run("uniform"), warmup=0, repeat=1)
        r.update(inherited_evaluations=picks["inherited"]["evaluations"], uniform_evaluations=picks["uniform"]["evaluations"],
                 inherited_pick=picks["inherited"]["best"], uniform_pick=picks["uniform"]["best"],
                 same_pick=picks["inherited"]["best"] == picks["uniform"]["best"],
                 evaluation_ratio=picks["uniform"]["evaluations"] / picks["inherited"]["evaluations"])
        results.append(r)
    for lt in (8, 12, 16):
        f = oracle(lt)
        counts = {}

        def inh(lt=lt, f=f, counts=counts):
            counts["inherited"] = inherited_search(SearchConfig(target_depth=lt), 4, OracleEvaluator(f), log=lambda s: None)

        def uni(lt=lt, f=f, counts=counts):
            counts["uniform"] = uniform_search(SearchConfig(target_depth=lt), 4, OracleEvaluator(f))

        r = compare(f"oracle search L_T={lt}: inherited vs exhaustive", inh, uni, warmup=1, repeat=3)
        r.update(inherited_evaluations=counts["inherited"]["evaluations"], uniform_evaluations=counts["uniform"]["evaluations"],
                 same_pick=counts["inherited"]["best"] == counts["uniform"]["best"],
                 evaluation_ratio=counts["uniform"]["evaluations"] / counts["inherited"]["evaluations"])
        results.append(r)
    print(report(results, args.out))
    for r in results:
        print(f"  {r['name']}: evaluations {r['inherited_evaluations']} vs {r['uniform_evaluations']} "
              f"(x{r['evaluation_ratio']:.1f} fewer), same pick: {r['same_pick']}")


if __name__ == "__main__":
    main()
