"""reid-train: run the LITM recipe (margin stages, GHIS sampling) on an official-format dataset.

Examples:
  reid-train --config litm_market --root /data/Market-1501-v15.09.15 --weights resnet50.pth --out runs/litm
  reid-train --config litm_market --root DIR --out runs/litm --resume
  reid-train --config litm_market --set litm.mode=single --set litm.margins=[0.4] --root DIR --out runs/m04
  torchrun --nproc-per-node 4 -m pkg_reid.cli.train --config litm_market --root DIR --out runs/ddp
Recipes shipped: litm_market, litm_duke, litm_cuhk03_labeled, litm_cuhk03_detected,
baseline_single_margin, bot_like, demo_tiny (a path to your own YAML works too).
"""

from __future__ import annotations

import json
import sys

from pkg_reid.cli._common import init_logging
from pkg_reid.config import Config, resolve_recipe
from pkg_shared.cli import config_from_args, entrypoint, make_parser, resolve_device
from pkg_shared.errors import ConfigError


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("reid-train", __doc__)
    p.add_argument("--root", help="dataset root (overrides data.root)")
    p.add_argument("--weights", help="local ImageNet state dict of the backbone (overrides model.weights)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
    p.add_argument("--stages", type=int, default=None, help="stop after this many LITM stages")
    p.add_argument("--epochs", type=int, default=None, help="stop after this many epochs in total (resume later)")
    args = p.parse_args(argv)
    if args.config is not None:
        args.config = resolve_recipe(args.config)
    extra = []
    if args.root:
        extra.append(f"data.root={args.root}")
    if args.weights:
        extra.append(f"model.weights={args.weights}")
    if args.seed is not None:
        extra.append(f"train.seed={args.seed}")
    args.overrides = extra + list(args.overrides)
    cfg = config_from_args(Config, args)
    if args.out is None:
        raise ConfigError("--out RUN_DIR is required")
    init_logging(args.out)
    from pkg_reid.engine.train import train

    summary = train(cfg, args.out, resolve_device(args.device), resume=args.resume, max_stages=args.stages,
                    max_epochs=args.epochs)
    from pkg_shared.engine.dist import launch_rank

    if launch_rank() != 0:
        return 0
    print(json.dumps({k: v for k, v in summary.items() if k != "eval"} | {
        "eval": {k: summary.get("eval", {}).get("plain", {}).get(k) for k in ("rank1", "mAP_official", "mAP_non_interpolated")}
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
