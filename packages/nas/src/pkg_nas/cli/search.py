"""nas-search: inherited-sampling search (the paper) or a baseline on the same supernet."""

from __future__ import annotations

import dataclasses
import pathlib

from pkg_nas.cli.common import EPILOG, load_run_config
from pkg_nas.engine.search_run import METHODS
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.config import dump_yaml
from pkg_shared.logging import setup

EXAMPLE = """examples:
  nas-search inherited --config cifar100_search --set data.root=/data/cifar --out runs/search_c100
  nas-search inherited --config cifar100_search --set data.root=/data/cifar --set search.beam=2 --out runs/beam2
  nas-search uniform --config cifar100_search --set data.root=/data/cifar --out runs/uniform
  nas-search inherited ... --set search.macs_budget=6e8 --set search.target_depth=12
An interrupted inherited search resumes from OUT/search_state.pt when run again with the same --out.
"""


def oracle_entries(bench: pathlib.Path | None, metric: str):
    from pkg_nas.bench.records import aggregate, read_many
    from pkg_shared.errors import ConfigError

    if bench is None:
        raise ConfigError("method oracle needs --bench FILE (an architecture dataset)")
    return aggregate(read_many([bench]), metric)


def oracle_search(cfg, bench: pathlib.Path, entries, out: pathlib.Path) -> dict:
    """Greedy-oracle path: inherited search whose scores are the dataset's mean accuracies."""
    from pkg_nas.search.evaluate import OracleEvaluator
    from pkg_nas.search.inherited import inherited_search
    from pkg_shared.errors import ConfigError
    from pkg_shared.fsutil import atomic_write_json


    def score(a):
        if a not in entries:
            raise ConfigError(f"{bench}: assignment {a} is not in the architecture dataset")
        return entries[a].mean

    res = inherited_search(cfg.search, cfg.model.stages, OracleEvaluator(score), out_dir=out)
    res["method"] = "oracle"
    atomic_write_json(out / "result.json", res)
    return res


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("nas-search", "One-shot layer-assignment search (inherited sampling) and its baselines.")
    p.epilog = EXAMPLE + EPILOG
    p.add_argument("method", choices=[*METHODS, "oracle"],
                   help="oracle = the inherited procedure scored by an architecture dataset (--bench): the method's upper bound")
    p.add_argument("--bench", type=pathlib.Path, help="architecture dataset JSONL (method oracle)")
    p.add_argument("--metric", default="top1_test", help="record field the oracle scores by (method oracle)")
    p.add_argument("--restart-supernet", action="store_true", help="re-initialise the supernet at every step")
    p.add_argument("--beam", type=int, help="keep the top-k assignments per depth (1 = paper)")
    p.add_argument("--step-size", type=int, help="layers added per step")
    p.add_argument("--mix-parent", type=float, help="probability of sampling the previous winner too")
    p.add_argument("--macs-budget", type=float)
    p.add_argument("--params-budget", type=float)
    args = p.parse_args(argv)
    cfg = load_run_config(args)
    repl = {k: v for k, v in (("beam", args.beam), ("step_size", args.step_size), ("mix_parent", args.mix_parent),
                              ("macs_budget", args.macs_budget), ("params_budget", args.params_budget),
                              ("seed", args.seed)) if v is not None}
    if args.restart_supernet:
        repl["restart_supernet"] = True
    cfg = dataclasses.replace(cfg, search=dataclasses.replace(cfg.search, **repl))
    from pkg_nas.engine.search_run import run_search, search_splits
    from pkg_nas.search.inherited import check_depths

    # everything that can be wrong with the input is found before the output folder is written
    check_depths(cfg.search, cfg.model.stages)
    device = resolve_device(args.device)
    if args.method == "oracle":
        entries = oracle_entries(args.bench, args.metric)
    else:
        splits = search_splits(cfg)
    out = args.out or pathlib.Path("runs") / f"search_{args.method}"
    setup(out)
    dump_yaml(cfg, out / "config.yaml")
    if args.method == "oracle":
        res = oracle_search(cfg, args.bench, entries, out)
    else:
        res = run_search(cfg, args.method, out, device=device, splits=splits)
    print(f"{args.method}: best {res['best']} after {res['evaluations']} candidate evaluations; see {out / 'result.json'}")
    return 0
