"""audio-info: parameters, multiply-adds per clip and stage shapes of a recipe or checkpoint."""

from __future__ import annotations

import json
import pathlib

import torch

from pkg_audio.cli.common import load_cfg, recipe_help
from pkg_shared.cli import entrypoint, make_parser

EXAMPLE = """example:
  audio-info --config raw_mla_16k
  audio-info --checkpoint runs/raw_mla/best.pt
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("audio-info", "Model size and cost.\n\n" + EXAMPLE, out=False, device=False, seed=False)
    p.add_argument("--checkpoint", type=pathlib.Path)
    p.epilog = recipe_help()
    args = p.parse_args(argv)
    from pkg_audio.models import build_model
    from pkg_shared.engine import count_macs, count_params

    if args.checkpoint is not None:
        from pkg_audio.engine.checkpoints import load_tagger

        _, cfg, _, _ = load_tagger(args.checkpoint)
    else:
        cfg = load_cfg(args)
    n = int(round(cfg.data.clip_seconds * cfg.model.sample_rate))
    model = build_model(cfg.model)
    params = count_params(model)
    front = sum(p.numel() for p in model.front.parameters())
    with torch.device("meta"):
        meta = build_model(cfg.model)
        macs = count_macs(meta, torch.zeros(1, n))
    print(json.dumps({"variant": cfg.model.variant, "params": params, "params_front": front,
                      "macs_per_clip": macs, "clip_seconds": cfg.data.clip_seconds,
                      "sample_rate": cfg.model.sample_rate, "frame_stride": cfg.model.frame_stride}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
