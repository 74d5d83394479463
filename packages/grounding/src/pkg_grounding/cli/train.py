"""grounding-train: train ASST (or the baseline) from a YAML recipe; ``--resume`` continues exactly."""

from __future__ import annotations

import dataclasses
import json

from pkg_grounding.cli.common import load_cfg
from pkg_grounding.engine.train import train
from pkg_grounding.recipes import recipe_names
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.logging import setup

EPILOG = """examples:
  grounding-train --config asst_charades_vgg --set data.root=data/Charades-STA --out runs/charades
  grounding-train --config runs/charades/config.yaml --out runs/charades --resume
  torchrun --nproc-per-node 2 -m pkg_grounding.cli.train --config asst_didemo --out runs/didemo
shipped recipes: """


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("grounding-train", __doc__)
    p.epilog = EPILOG + ", ".join(recipe_names())
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    args = p.parse_args(argv)
    cfg = load_cfg(args)
    if args.seed is not None:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, seed=args.seed))
    out = args.out or cfg.out
    setup(out)
    res = train(cfg, out, resolve_device(args.device), resume=args.resume)
    print(json.dumps({"out": str(out), "best": res["best"], "steps": res["steps"],
                      "epochs": len(res["history"])}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
