"""skeleton-export: TorchScript or ONNX file of a checkpoint, checked against eager PyTorch."""

from __future__ import annotations

import pathlib

from pkg_shared.cli import entrypoint, make_parser

EXAMPLE = """example:
  skeleton-export --checkpoint runs/xsub/best.pt --format onnx --out hcn.onnx
  skeleton-export --checkpoint runs/xsub/best.pt --format torchscript --out hcn.pt
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("skeleton-export", "Export a trained HCN (input (N, C, T, V, M) -> logits).",
                    config=False, seed=False, device=False)
    p.epilog = EXAMPLE
    p.add_argument("--checkpoint", type=pathlib.Path, required=True)
    p.add_argument("--format", choices=("onnx", "torchscript"), default="onnx")
    p.add_argument("--atol", type=float, default=1e-4)
    args = p.parse_args(argv)
    from pkg_skeleton.engine.evaluate import load_model
    from pkg_skeleton.engine.export import export

    model, cfg = load_model(args.checkpoint, "cpu")
    out = args.out or pathlib.Path("hcn." + ("onnx" if args.format == "onnx" else "pt"))
    res = export(model, cfg, args.format, out, args.atol)
    print(f"wrote {res['path']} (max |diff| to PyTorch {res['max_abs_diff']:.2e})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
