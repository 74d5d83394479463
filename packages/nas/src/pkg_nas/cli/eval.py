"""nas-eval: top-1/top-5 of a trained checkpoint on a split (JSON to stdout or --out)."""

from __future__ import annotations

import dataclasses
import pathlib

from pkg_nas.cli.common import emit_json
from pkg_shared.cli import entrypoint, make_parser, resolve_device

EXAMPLE = """examples:
  nas-eval --checkpoint runs/c100_2392/last.pt --split test
  nas-eval --checkpoint runs/c100_2392/last.pt --split val --root /data/cifar --out val.json
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("nas-eval", "Evaluate a nas-train checkpoint: top-1/top-5 in percent, counted over the split.",
                    config=False, out=False, seed=False)
    p.epilog = EXAMPLE
    p.add_argument("--checkpoint", required=True, type=pathlib.Path)
    p.add_argument("--split", choices=["test", "val"], default="test",
                   help="test = official test split (Tiny/ImageNet: official val); val = held-out part of train")
    p.add_argument("--root", help="dataset root (default: the one stored in the checkpoint's config)")
    p.add_argument("--out", type=pathlib.Path, help="JSON file (default: stdout)")
    args = p.parse_args(argv)
    from pkg_nas.data.datasets import build_splits
    from pkg_nas.engine.evaluate import evaluate
    from pkg_nas.engine.train import load_model

    device = resolve_device(args.device)
    model, cfg, _ = load_model(args.checkpoint, device)
    data = cfg.data if args.root is None else dataclasses.replace(cfg.data, root=args.root)
    splits = build_splits(data, cfg.model.input_size)
    res = evaluate(model, splits.test if args.split == "test" else splits.val, device, cfg.data.eval_batch_size)
    res.update(split=args.split, dataset=cfg.data.dataset, assignment=cfg.assignment,
               convention="top-k via torch.topk over logits, counted over the whole split, percent")
    emit_json(res, args.out)
    return 0
