"""efficient-export: TorchScript or ONNX without custom ops, verified against PyTorch."""

from __future__ import annotations

import pathlib

from pkg_efficient.cli.common import emit, get_model, model_label, probe_input
from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import PkgError

EXAMPLE = """examples:
  efficient-export --weights runs/ssl/model.pt --format onnx --input-size 32 --out model.onnx
  efficient-export --model fenet_r_1.0 --format torchscript --out fenet.pt
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("efficient-export", "Export (SSL as Pad/Slice/Concat; channel permutation folded).\n\n" + EXAMPLE,
                    config=False, device=False, seed=False)
    p.add_argument("--model")
    p.add_argument("--weights")
    p.add_argument("--format", choices=["torchscript", "onnx"], default="onnx")
    p.add_argument("--input-size", type=int, default=224)
    p.add_argument("--tol", type=float, default=1e-5)
    args = p.parse_args(argv)
    model, _ = get_model(args.model, args.weights)
    if args.tol <= 0:
        raise PkgError(f"--tol must be positive, got {args.tol}")
    probe_input(model, args.input_size, model_label(args.model, args.weights))
    out = args.out or pathlib.Path("model." + ("onnx" if args.format == "onnx" else "ts"))
    from pkg_efficient.export import export_model

    try:
        res = export_model(model, out, args.format, args.input_size, args.tol)
    except (RuntimeError, ValueError) as exc:
        raise PkgError(str(exc).splitlines()[0]) from exc
    emit(res, None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
