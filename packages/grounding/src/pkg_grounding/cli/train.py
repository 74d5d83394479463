"""grounding-train: train ASST (or the baseline) from a YAML recipe; ``--resume`` continues exactly."""

from __future__ import annotations

import dataclasses
import json
import pathlib

from pkg_grounding.cli.common import load_cfg
from pkg_grounding.engine.seeds import run_seeds
from pkg_grounding.engine.train import train
from pkg_grounding.recipes import recipe_names
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import PkgError
from pkg_shared.logging import setup

EPILOG = """examples:
  grounding-train --config asst_charades_vgg --set data.root=data/Charades-STA --out runs/charades
  grounding-train --config runs/charades/config.yaml --out runs/charades --resume
  torchrun --nproc-per-node 2 -m pkg_grounding.cli.train --config asst_didemo --out runs/didemo
  grounding-train --config asst_charades_vgg --seeds 0,1,2 --out runs/cha3   # mean +/- std -> runs/cha3/seeds.json
shipped recipes: """


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("grounding-train", __doc__)
    p.epilog = EPILOG + ", ".join(recipe_names())
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--seeds", help="comma-separated seeds: one run each in OUT/seed_<s>/, each scored on the test "
                   "split, mean +/- std in OUT/seeds.json")
    args = p.parse_args(argv)
    seeds = None
    if args.seeds:
        try:
            seeds = [int(x) for x in args.seeds.split(",")]
        except ValueError:
            raise PkgError(f"--seeds {args.seeds!r}: expected comma-separated integers, e.g. 0,1,2") from None
        if len(set(seeds)) != len(seeds):
            raise PkgError(f"--seeds {args.seeds!r} repeats a seed")
    cfg = load_cfg(args)
    if args.seed is not None:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, seed=args.seed))
    out = args.out or cfg.out
    setup(out)
    from pkg_shared.engine.dist import launch_rank

    main_rank = launch_rank() == 0  # torchrun: one summary, from rank 0
    if seeds:
        summary = run_seeds(cfg, out, resolve_device(args.device), seeds, resume=args.resume)
        if main_rank:
            print(json.dumps({"out": str(out), "seeds": seeds, "split": summary["split"],
                              "summary": str(pathlib.Path(out) / "seeds.json")}))
        return 0
    res = train(cfg, out, resolve_device(args.device), resume=args.resume)
    if not main_rank:
        return 0
    print(json.dumps({"out": str(out), "best": res["best"], "steps": res["steps"],
                      "epochs": len(res["history"])}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
