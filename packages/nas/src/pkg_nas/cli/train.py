"""nas-train: train one layer assignment from scratch with a recipe (torchrun-ready)."""

from __future__ import annotations

import dataclasses
import pathlib

from pkg_nas.cli.common import EPILOG, emit_json, load_run_config
from pkg_nas.space import LayerAssignment
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.config import dump_yaml
from pkg_shared.logging import setup

EXAMPLE = """examples:
  nas-train --config cifar100_full --set data.root=/data/cifar --assignment 2-3-9-2 --out runs/c100_2392
  nas-train --config cifar100_full --set data.root=/data/cifar --out runs/c100_2392 --resume
  torchrun --nproc-per-node 4 -m pkg_nas.cli.train --config imagenet_resnet --set data.root=/data/imagenet --out runs/in
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("nas-train", "Train a layer assignment from scratch (the recipe's full loop).")
    p.epilog = EXAMPLE + EPILOG
    p.add_argument("--assignment", help="e.g. 2-2-2-2 (default: the config's)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    args = p.parse_args(argv)
    cfg = load_run_config(args)
    if args.assignment:
        cfg = dataclasses.replace(cfg, assignment=str(LayerAssignment.parse(args.assignment)))
    if args.seed is not None:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, seed=args.seed))
    from pkg_nas.data.datasets import build_splits
    from pkg_nas.profile import profile

    profile(cfg.model, cfg.assignment)  # rejects an assignment that does not fit the model before any work
    splits = build_splits(cfg.data, cfg.model.input_size)  # data errors, too, come before any output
    out = args.out or pathlib.Path("runs") / f"train_{cfg.assignment}"
    from pkg_shared.engine.dist import launch_rank

    rank0 = launch_rank() == 0
    setup(out, rank=0 if rank0 else 1)
    if rank0:
        dump_yaml(cfg, out / "config.yaml")
    from pkg_nas.engine.train import train

    result = train(cfg, out, device=resolve_device(args.device), resume=args.resume, splits=splits)
    if rank0 and "stopped_at_epoch" not in result:
        emit_json(result, out / "result.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
