"""skeleton-train: run a training recipe (recognition or detection windows)."""

from __future__ import annotations

import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.logging import setup
from pkg_skeleton.cli.common import load_recipe, recipe_names

EXAMPLE = """example:
  skeleton-train --config hcn_ntu60_xsub --set data.root=/data/nturgb+d_skeletons --out runs/xsub
  skeleton-train --config runs/xsub/config.yaml --out runs/xsub --resume
  skeleton-train --config hcn_sbu --set data.root=/data/SBU --out runs/sbu --all-folds
  torchrun --nproc-per-node 4 -m pkg_skeleton.cli.train --config hcn_ntu60_xsub --out runs/xsub_ddp
shipped recipes: """


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("skeleton-train", "Train HCN on a recipe (YAML path or shipped recipe name).")
    p.epilog = EXAMPLE + ", ".join(recipe_names())
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt (exactly)")
    p.add_argument("--all-folds", action="store_true",
                   help="SBU: train folds 1..5 into OUT/fold<k> and write OUT/folds.json (per-fold and mean)")
    args = p.parse_args(argv)
    cfg = load_recipe(args)
    if args.seed is not None:
        from pkg_shared.config import load_config

        cfg = load_config(type(cfg), None, [f"train.seed={args.seed}"], base=cfg)
    if args.all_folds and cfg.data.dataset != "sbu":
        from pkg_shared.errors import ConfigError

        raise ConfigError("--all-folds is for the SBU recipe (data.dataset=sbu)")
    out = args.out or pathlib.Path("runs") / "skeleton"
    from pkg_shared.engine.dist import launch_rank

    setup(out, rank=launch_rank())
    from pkg_skeleton.engine.train import train

    if args.all_folds:
        import dataclasses

        from pkg_shared.fsutil import atomic_write_json

        folds = {}
        for k in range(1, 6):
            fcfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, sbu_test_fold=k))
            folds[k] = train(fcfg, out / f"fold{k}", resolve_device(args.device), resume=args.resume)
            print(f"fold {k}: test top-1 {folds[k]['test_top1']:.4f}")
        res = {"per_fold_top1": {k: v["test_top1"] for k, v in folds.items()},
               "mean_top1": sum(v["test_top1"] for v in folds.values()) / 5,
               "note": "final-epoch accuracy per fold; SBU protocol = mean over the five folds"}
        atomic_write_json(out / "folds.json", res)
        print(f"done: mean top-1 over 5 folds {res['mean_top1']:.4f} -> {out / 'folds.json'}")
        return 0
    summary = train(cfg, out, resolve_device(args.device), resume=args.resume)
    print(f"done: {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
