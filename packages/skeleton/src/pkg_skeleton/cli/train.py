"""skeleton-train: run a training recipe (recognition or detection windows)."""

from __future__ import annotations

import os
import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.logging import setup
from pkg_skeleton.cli.common import load_recipe, recipe_names

EXAMPLE = """example:
  skeleton-train --config hcn_ntu60_xsub --set data.root=/data/nturgb+d_skeletons --out runs/xsub
  skeleton-train --config runs/xsub/config.yaml --out runs/xsub --resume
  torchrun --nproc-per-node 4 -m pkg_skeleton.cli.train --config hcn_ntu60_xsub --out runs/xsub_ddp
shipped recipes: """


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("skeleton-train", "Train HCN on a recipe (YAML path or shipped recipe name).")
    p.epilog = EXAMPLE + ", ".join(recipe_names())
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt (exactly)")
    args = p.parse_args(argv)
    cfg = load_recipe(args)
    if args.seed is not None:
        from pkg_shared.config import load_config

        cfg = load_config(type(cfg), None, [f"train.seed={args.seed}"], base=cfg)
    out = args.out or pathlib.Path("runs") / "skeleton"
    setup(out, rank=int(os.environ.get("RANK", "0")))
    from pkg_skeleton.engine.train import train

    summary = train(cfg, out, resolve_device(args.device), resume=args.resume)
    print(f"done: {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
