"""efficient-train: run a YAML recipe (a path or a shipped recipe name)."""

from __future__ import annotations

import json
import pathlib
import shutil

from pkg_efficient.cli.common import resolve_recipe
from pkg_efficient.config import RunConfig, check_run_config
from pkg_shared.cli import config_from_args, entrypoint, make_parser, resolve_device
from pkg_shared.config import dump_yaml
from pkg_shared.errors import ConfigError, PkgError
from pkg_shared.logging import setup

EXAMPLE = """examples:
  efficient-train --config fenet_r_1.375 --set data.root=/data/imagenet --out runs/fenet
  efficient-train --config ssl_ablation_cifar --set data.root=/data/cifar --set train.shift_penalty=1e-4 --out runs/ssl
  efficient-train --config runs/ssl/config.yaml --out runs/ssl --resume
  torchrun --nproc-per-node 4 -m pkg_efficient.cli.train --config fenet_r_1.0 --set data.root=... --out runs/x
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("efficient-train", "Train an SSL / FE-Net / Shift-ResNet / VGG model.\n\n" + EXAMPLE)
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt when it exists")
    p.add_argument("--data", help="dataset root (same as --set data.root=...)")
    p.add_argument("--shift-penalty", type=float, help="SSL penalty lambda (same as --set train.shift_penalty=...)")
    p.add_argument("--penalty-weighting", choices=["none", "hw"],
                   help="weight each layer's penalty by its map area H*W (same as --set train.penalty_weighting=...)")
    args = p.parse_args(argv)
    resolve_recipe(args)
    if args.data:
        args.overrides.append(f"data.root={args.data}")
    if args.shift_penalty is not None:
        args.overrides.append(f"train.shift_penalty={args.shift_penalty}")
    if args.penalty_weighting is not None:
        args.overrides.append(f"train.penalty_weighting={args.penalty_weighting}")
    if args.seed is not None:
        args.overrides.append(f"seed={args.seed}")
    cfg = config_from_args(RunConfig, args)
    check_run_config(cfg)  # impossible values: one line, exit 2, before the run folder exists
    out = args.out or pathlib.Path("runs") / cfg.model.name
    if not args.resume and (out / "last.pt").is_file():  # never restart over a run silently
        raise ConfigError(f"{out / 'last.pt'}: a run is already there; pass --resume to continue it or choose another --out")
    from pkg_shared.engine.dist import launch_rank

    rank = launch_rank()  # torchrun: only rank 0 writes run.log / config.yaml
    fresh = not out.exists()
    setup(out, rank=rank)
    if rank == 0:
        dump_yaml(cfg, out / "config.yaml")
    from pkg_efficient.engine.train import train

    try:
        result = train(cfg, out, resolve_device(args.device), resume=args.resume)
    except PkgError:
        if fresh and rank == 0 and not (out / "last.pt").exists():  # bad data etc.: leave nothing half-written
            setup(None)
            shutil.rmtree(out, ignore_errors=True)
        raise
    if rank == 0:  # one summary: torchrun merges the ranks' stdout, and two prints can interleave on one line
        print(json.dumps({k: v for k, v in result.items() if isinstance(v, (int, float))}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
