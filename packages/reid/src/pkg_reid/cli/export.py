"""reid-export: the embedding model of a run to TorchScript and/or ONNX, checked against PyTorch.

Examples:
  reid-export --run runs/litm --format torchscript --out exported/
  reid-export --run runs/litm --format onnx torchscript --out exported/
"""

from __future__ import annotations

import json
import pathlib
import sys

from pkg_shared.cli import entrypoint, make_parser


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("reid-export", __doc__, config=False, device=False, seed=False)
    p.add_argument("--run", required=True, help="run folder or checkpoint")
    p.add_argument("--format", nargs="+", choices=("torchscript", "onnx"), default=["torchscript"])
    p.add_argument("--atol", type=float, default=1e-4)
    args = p.parse_args(argv)
    from pkg_reid.engine.train import load_trained
    from pkg_reid.export import export_onnx, export_torchscript

    net, cfg = load_trained(args.run)
    out = pathlib.Path(args.out or ".")
    results = []
    for fmt in args.format:
        if fmt == "torchscript":
            results.append(export_torchscript(net, out / "reid_embed.ts", cfg.data.height, cfg.data.width, args.atol))
        else:
            results.append(export_onnx(net, out / "reid_embed.onnx", cfg.data.height, cfg.data.width, args.atol))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
