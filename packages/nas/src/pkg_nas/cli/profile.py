"""nas-profile: parameters and MACs of an assignment, with the per-stage table."""

from __future__ import annotations

import dataclasses
import pathlib

from pkg_nas.cli.common import EPILOG, emit_json, load_run_config
from pkg_nas.config import PRESETS
from pkg_nas.profile import exact_counts, profile
from pkg_shared.cli import entrypoint, make_parser

EXAMPLE = """examples:
  nas-profile --preset imagenet --family bottleneck --assignment 3-4-6-3   # ResNet-50: 25.56 M, 4089.18 M MACs
  nas-profile --config cifar100_search --assignment 2-3-9-2 --exact
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("nas-profile", "Parameters and multiply-accumulates (MACs) of a layer assignment.",
                    out=False, device=False, seed=False)
    p.epilog = EXAMPLE + EPILOG
    p.add_argument("--out", type=pathlib.Path, help="write JSON to this file instead of a table to stdout")
    p.add_argument("--assignment", help="e.g. 3-4-6-3 (default: the config's)")
    p.add_argument("--preset", choices=sorted(PRESETS), help="stem/widths/classes preset (overrides the config's model)")
    p.add_argument("--family", choices=["plain", "basic", "bottleneck"])
    p.add_argument("--exact", action="store_true", help="also count on the built network (FlopCounterMode)")
    args = p.parse_args(argv)
    cfg = load_run_config(args)
    model = PRESETS[args.preset] if args.preset else cfg.model
    if args.family:
        model = dataclasses.replace(model, family=args.family)
    a = args.assignment or cfg.assignment
    prof = profile(model, a).as_dict()
    prof.update(family=model.family, stem=model.stem, widths=list(model.widths), input_size=model.input_size,
                num_classes=model.num_classes)
    if args.exact:
        prof["exact_params"], prof["exact_macs"] = exact_counts(model, a)
    if args.out is None:
        print(f"{a} ({model.family}, {model.stem} stem, {model.input_size}px): params {prof['params']:,} "
              f"({prof['params_M']} M), MACs {prof['macs_M']} M")
        for s, (sp, sm) in enumerate(zip(prof["stage_params"], prof["stage_macs"]), 1):
            print(f"  stage {s}: params {sp:>12,}  MACs {sm / 1e6:10.2f} M")
        if args.exact:
            print(f"  exact: params {prof['exact_params']:,}, MACs {prof['exact_macs'] / 1e6:.2f} M")
    else:
        emit_json(prof, args.out)
    return 0
