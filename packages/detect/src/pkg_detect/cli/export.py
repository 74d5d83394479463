"""``detect-export``: TorchScript / ONNX export of a trained run, checked against PyTorch."""

from __future__ import annotations

import json
import pathlib

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import PkgError

EPILOG = """examples:
  detect-export --run runs/tll --format torchscript --out tll.pt
  detect-export --run runs/tfa --format onnx --temporal-step --out tfa_step.onnx
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("detect-export", "Export TLL for deployment.", config=False, seed=False, device=False, out=False)
    p.epilog = EPILOG
    p.add_argument("--run", required=True)
    p.add_argument("--format", choices=["torchscript", "onnx"], default="torchscript")
    p.add_argument("--out", required=True, help="output file (.pt / .onnx)")
    p.add_argument("--temporal-step", action="store_true", help="export one streaming Conv-LSTM step")
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--width", type=int, default=640)
    args = p.parse_args(argv)
    if args.height < 16 or args.width < 16:
        raise PkgError("--height/--width must be at least 16")
    from pkg_detect.engine.infer import load_run
    from pkg_detect.export import export

    model, _ = load_run(args.run, "cpu")
    res = export(model, pathlib.Path(args.out), args.format, args.height, args.width, args.temporal_step)
    print(json.dumps(res))
    return 0
