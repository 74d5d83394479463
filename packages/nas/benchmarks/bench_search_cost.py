"""Cost of the inherited search vs the uniform one-shot baseline (spec §5.1 / issue "Performance").

Part 1, on the demo's tiny architecture dataset (fake CIFAR-100 in the official pickle format,
every assignment of depth 4..6 of the ``tiny`` family trained from scratch):
  a. scored by the dataset itself (oracle): evaluations and wall time the inherited procedure
     needs to reach the pick of exhaustive scoring of A_6, and whether it does;
  b. real supernets with the same supernet epoch budget: evaluations, wall time, each method's
     pick and its rank/regret in the dataset.
Part 2 (oracle = separable concave accuracy, where the inheritance relation holds): evaluations
needed to find the optimum of A_L for L_T = 8/12/16.

    python packages/nas/benchmarks/bench_search_cost.py --out search_cost.json
"""

from __future__ import annotations

import argparse
import math
import pathlib
import random
import tempfile
import time

import torch

from pkg_nas.bench.analysis import by_depth
from pkg_nas.bench.records import aggregate, build, read_records
from pkg_nas.cli.demo import demo_config
from pkg_nas.config import SearchConfig
from pkg_nas.data.datasets import build_splits
from pkg_nas.data.fake import write_cifar100
from pkg_nas.engine.search_run import run_search
from pkg_nas.engine.train import train
from pkg_nas.metrics.search_quality import rank_in, regret
from pkg_nas.search.baselines import uniform_search
from pkg_nas.search.evaluate import OracleEvaluator
from pkg_nas.search.inherited import inherited_search
from pkg_shared.engine.bench import compare, report


def oracle(seed: int):
    rng = random.Random(seed)
    w = [rng.uniform(0.5, 2) for _ in range(4)]
    r = [rng.uniform(0.1, 1) for _ in range(4)]
    return lambda a: sum(w[s] * (1 - math.exp(-r[s] * n)) for s, n in enumerate(a))


def oracle_pair(name: str, scfg: SearchConfig, f, repeat: int) -> dict:
    """Inherited (candidate) vs exhaustive (baseline), both scored by ``f``."""
    out: dict = {}

    def inh():
        out["inherited"] = inherited_search(scfg, 4, OracleEvaluator(f), log=lambda s: None)

    def uni():
        out["uniform"] = uniform_search(scfg, 4, OracleEvaluator(f))

    r = compare(name, inh, uni, warmup=1, repeat=repeat)
    r.update(inherited_evaluations=out["inherited"]["evaluations"], uniform_evaluations=out["uniform"]["evaluations"],
             inherited_pick=out["inherited"]["best"], uniform_pick=out["uniform"]["best"],
             same_pick=out["inherited"]["best"] == out["uniform"]["best"],
             evaluation_ratio=out["uniform"]["evaluations"] / out["inherited"]["evaluations"])
    return r


def tiny_dataset_parts(device: str) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        write_cifar100(root / "data", per_class=20, test_per_class=5, classes=10, seed=0)
        cfg = demo_config(root / "data")
        splits = build_splits(cfg.data, cfg.model.input_size)
        t0 = time.time()
        build(cfg, root / "bench.jsonl", train_fn=lambda c: train(c, None, splits=splits, log=lambda s: None),
              log=lambda s: None)
        build_s = time.time() - t0
        entries = aggregate(read_records(root / "bench.jsonl"))
        acc = {a: e.mean for a, e in entries.items()}
        L = cfg.search.target_depth
        pool = [e.assignment for e in by_depth(entries)[L]]
        r = oracle_pair(f"tiny architecture dataset (15 nets, built in {build_s:.0f} s), scored by the dataset, "
                        f"L_T={L}: inherited vs exhaustive", cfg.search, lambda a: acc[a], repeat=5)
        results.append(r)
        picks: dict = {}

        def run(method):
            def fn():
                picks[method] = run_search(cfg, method, None, device=device, splits=splits, log=lambda s: None)
            return fn

        r = compare(f"supernet search on the tiny architecture dataset to L={L}, same supernet epochs: "
                    "inherited (candidate) vs uniform exhaustive (baseline)", run("inherited"), run("uniform"),
                    warmup=0, repeat=1)
        from pkg_nas.space import LayerAssignment

        for m in ("inherited", "uniform"):
            a = LayerAssignment.parse(picks[m]["best"])
            r[f"{m}_evaluations"] = picks[m]["evaluations"]
            r[f"{m}_supernet_epochs"] = picks[m]["supernet_epochs"]
            r[f"{m}_pick"] = str(a)
            r[f"{m}_pick_rank"] = f"{rank_in(acc, a, pool)}/{len(pool)}"
            r[f"{m}_pick_regret"] = regret(acc, a, pool)
        r.update(dataset_optimum=str(pool[0]), same_pick=picks["inherited"]["best"] == picks["uniform"]["best"],
                 evaluation_ratio=picks["uniform"]["evaluations"] / picks["inherited"]["evaluations"])
        results.append(r)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="JSON file for the results")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (tiny tensors: 1 is fastest)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    results = tiny_dataset_parts(args.device)
    for lt in (8, 12, 16):
        results.append(oracle_pair(f"oracle search L_T={lt}: inherited vs exhaustive", SearchConfig(target_depth=lt),
                                   oracle(lt), repeat=3))
    print(report(results, args.out))
    for r in results:
        extra = (f", picks {r['inherited_pick']} (rank {r['inherited_pick_rank']}) vs {r['uniform_pick']} "
                 f"(rank {r['uniform_pick_rank']}), dataset optimum {r['dataset_optimum']}") if "dataset_optimum" in r else ""
        print(f"  {r['name']}: evaluations {r['inherited_evaluations']} vs {r['uniform_evaluations']} "
              f"(x{r['evaluation_ratio']:.1f} fewer), same pick: {r['same_pick']}{extra}")


if __name__ == "__main__":
    main()
