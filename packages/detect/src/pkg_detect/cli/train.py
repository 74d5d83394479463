"""``detect-train``: the paper's training recipe (a shipped recipe name or a YAML path)."""

from __future__ import annotations

import dataclasses
import json

from pkg_detect import config as C
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.config import dump_yaml
from pkg_shared.errors import PkgError

EPILOG = """examples:
  detect-train --config tll_caltech --root data/caltech --weights resnet50.pth --out runs/tll
  detect-train --config tll_caltech --root fake/caltech --out runs/tiny --set model.backbone=tiny --set train.iterations=50
  detect-train --config tll_caltech --root data/caltech --out runs/tll --resume
  torchrun --nproc-per-node 4 -m pkg_detect.cli.train --config tll_caltech --root data/caltech --out runs/tll
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("detect-train", "Train TLL / TLL-TFA.", config=False)
    p.epilog = EPILOG
    p.add_argument("--config", default="tll_caltech", help="shipped recipe name or YAML path (default tll_caltech)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--print-config", action="store_true")
    p.add_argument("--root", help="dataset root (overrides data.root)")
    p.add_argument("--weights", help="local ImageNet ResNet-50 state_dict")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    cfg = C.load(args.config, args.overrides)
    if args.weights:
        cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, weights=args.weights))
    if args.seed is not None:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, seed=args.seed))
    if args.print_config:
        print(dump_yaml(cfg), end="")
        return 0
    root = args.root or cfg.data.root
    if not root:
        raise PkgError("no dataset root: pass --root DIR or set data.root")
    if args.out is None:
        raise PkgError("--out RUN_DIR is required")

    from pkg_detect.engine.train import train
    from pkg_shared.engine import dist
    from pkg_shared.logging import setup

    setup(None, rank=dist.launch_rank())  # run.log joins once the inputs are known to be good
    res = train(cfg, args.out, root=root, resume=args.resume, device=resolve_device(args.device), quiet=args.quiet,
                run_log=True)
    info = dist.init_from_env()
    if info.is_main:
        print(json.dumps(res, indent=2))
    dist.cleanup(info)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
