"""grounding-export: TorchScript and/or ONNX files of a checkpoint, checked against PyTorch on the same inputs."""

from __future__ import annotations

import json
import pathlib

from pkg_grounding.cli.common import load_model
from pkg_grounding.data.dataset import num_steps
from pkg_grounding.engine.export import example_inputs, export_onnx, export_torchscript
from pkg_shared.cli import entrypoint, make_parser

EPILOG = """examples:
  grounding-export --checkpoint runs/charades/best.pt --format both --out exported/
The exported graph takes video (B, T, D), video_mask (B, T), words (B, N) int64, word_mask (B, N) and
returns logits (B, T, 3) = start / end / inside; T is fixed by the recipe, B and N are dynamic."""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("grounding-export", __doc__, config=False, seed=False, device=False)
    p.epilog = EPILOG
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--format", choices=["torchscript", "onnx", "both"], default="both")
    args = p.parse_args(argv)
    model, cfg, _ = load_model(args.checkpoint)
    out = pathlib.Path(args.out or "exported")
    inputs = example_inputs(num_steps(cfg.data), cfg.model.video_dim, cfg.model.vocab_size)
    res = {}
    if args.format in ("torchscript", "both"):
        err = export_torchscript(model, inputs, out / "model.ts")
        res["torchscript"] = {"path": str(out / "model.ts"), "max_abs_diff": err}
    if args.format in ("onnx", "both"):
        err = export_onnx(model, inputs, out / "model.onnx")
        res["onnx"] = {"path": str(out / "model.onnx"), "max_abs_diff": err}
    print(json.dumps(res, indent=2))
    return 0
