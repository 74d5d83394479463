"""nas-bench: build the layer-assignment architecture dataset and query/analyse it."""

from __future__ import annotations

import pathlib

from pkg_nas.cli.common import EPILOG, emit_json, load_run_config
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.logging import setup

EXAMPLE = """examples:
  nas-bench build --config cifar100_bench_proxy --set data.root=/data/cifar --shard 0/4 --bench bench.jsonl
  nas-bench query --bench bench.jsonl --depth 8 --top 10
  nas-bench best --bench bench.jsonl --macs 600e6
  nas-bench analyze --bench bench.jsonl --plot bench.png
  nas-bench correlate --bench run1.jsonl --other run2.jsonl
"""


def _entries(paths, metric, recipe=None):
    """Aggregated records of one or more files (shards built on several machines); a unit found
    in two files counts once."""
    from pkg_nas.bench.records import aggregate, read_many

    return aggregate(read_many(paths), metric, recipe)


def _row(e) -> dict:
    return {"assignment": str(e.assignment), "depth": e.depth, "mean": round(e.mean, 4), "std": round(e.std, 4),
            "seeds": e.n, "params": e.params, "macs": e.macs}


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("nas-bench", "Build and query the layer-assignment architecture dataset (JSONL).",
                    config=False, out=False, device=False, seed=False)
    p.epilog = EXAMPLE + EPILOG
    sub = p.add_subparsers(dest="action", required=True)
    b = make_parser("", "", out=False, seed=False, parser=sub.add_parser("build", help="train every assignment (resumable, shardable)"))
    b.add_argument("--bench", required=True, type=pathlib.Path, help="JSONL file to append to")
    b.add_argument("--shard", default=None, help="i/n: only this shard's units")
    for name, hlp in (("query", "ranked list per depth"), ("best", "best per depth or budget"),
                      ("analyze", "inheritance report, greedy path, handcrafted ranks"), ("correlate", "two runs")):
        q = sub.add_parser(name, help=hlp)
        q.add_argument("--bench", required=True, type=pathlib.Path, nargs="+",
                       help="JSONL file(s); several = shards of one dataset, merged")
        q.add_argument("--metric", default="top1_test", help="record field to rank by (top1_test, top1_val)")
        q.add_argument("--recipe", default=None, help="only records with this recipe_hash")
        q.add_argument("--out", type=pathlib.Path, help="JSON file (default: stdout)")
        if name == "query":
            q.add_argument("--depth", type=int)
            q.add_argument("--top", type=int, default=10)
        if name == "best":
            q.add_argument("--macs", type=float)
            q.add_argument("--params", type=float)
        if name == "analyze":
            q.add_argument("--delta", type=float, default=0.2, help="tolerance (points) of the noise-tolerant inheritance")
            q.add_argument("--handcrafted", default="2-2-2-2", help="assignments to rank, comma-separated")
            q.add_argument("--plot", type=pathlib.Path, help="PNG: accuracy vs params, optimum's stages vs depth")
        if name == "correlate":
            q.add_argument("--other", required=True, type=pathlib.Path, nargs="+")
    args = p.parse_args(argv)
    from pkg_nas.bench import analysis as A

    if args.action == "build":
        from pkg_nas.bench.records import build, parse_shard
        from pkg_nas.engine.train import train

        cfg = load_run_config(args)
        shard = parse_shard(args.shard)
        setup()
        device = resolve_device(args.device)
        run_root = args.bench.parent / (args.bench.stem + "_runs")
        cache: dict = {}

        def train_fn(run_cfg):
            if "splits" not in cache:
                from pkg_nas.data.datasets import build_splits

                cache["splits"] = build_splits(run_cfg.data, run_cfg.model.input_size)
            run_dir = run_root / f"{run_cfg.assignment}_s{run_cfg.train.seed}" if run_cfg.train.checkpoint_every > 0 else None
            tag = f"  {run_cfg.assignment} seed {run_cfg.train.seed}"  # per-epoch progress inside a unit
            return train(run_cfg, run_dir, device=device, resume=True, splits=cache["splits"],
                         log=lambda s: print(f"{tag}: {s}", flush=True))

        n = build(cfg, args.bench, shard=shard, train_fn=train_fn, log=lambda s: print(s, flush=True))
        print(f"trained {n} unit(s); records in {args.bench}")
        return 0
    entries = _entries(args.bench, args.metric, args.recipe)
    if args.action == "query":
        depths = A.by_depth(entries)
        sel = {args.depth: depths.get(args.depth, [])} if args.depth else depths
        emit_json({str(d): [_row(e) for e in es[: args.top]] for d, es in sel.items()}, args.out)
    elif args.action == "best":
        if args.macs is not None or args.params is not None:
            e = A.best_per_budget(entries, macs=args.macs, params=args.params)
            emit_json({"budget": {"macs": args.macs, "params": args.params}, "best": _row(e) if e else None}, args.out)
        else:
            emit_json({str(d): _row(es[0]) for d, es in A.by_depth(entries).items()}, args.out)
    elif args.action == "analyze":
        from pkg_nas.space import LayerAssignment

        rep = A.inheritance_report(entries, args.delta)
        ranks = {}
        for h in args.handcrafted.split(","):
            a = LayerAssignment.parse(h)
            pool = A.by_depth(entries).get(a.depth, [])
            if a in entries:
                ranks[str(a)] = {"rank": 1 + sum(e.mean > entries[a].mean for e in pool), "of": len(pool)}
        rep["handcrafted_ranks"] = ranks
        rep["best_per_depth"] = {str(d): _row(es[0]) for d, es in A.by_depth(entries).items()}
        if args.plot:
            from pkg_nas.vis import plot_bench

            rep["plot"] = str(plot_bench(entries, args.plot))
        emit_json(rep, args.out)
    else:
        emit_json(A.correlation(entries, _entries(args.other, args.metric, args.recipe)), args.out)
    return 0
