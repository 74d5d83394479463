"""video-export: TorchScript and/or ONNX of a trained model (CoST(a) folded), with an equality check."""

from __future__ import annotations

import pathlib

import torch

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import PkgError
from pkg_shared.fsutil import atomic_write_json
from pkg_video.cli._common import check_min, check_outputs

EXAMPLE = """examples:
  video-export --checkpoint runs/costa/best.pt --format onnx --out export/
  video-export --checkpoint runs/costb/best.pt --format both --frames 8 --size 224 --out export/
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("video-export", "Export a checkpoint to TorchScript / ONNX.", config=False, device=False, seed=False)
    p.epilog = EXAMPLE
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--format", choices=["onnx", "torchscript", "both"], default="both")
    p.add_argument("--frames", type=int, help="clip length of the example input (default: data.clip_len)")
    p.add_argument("--size", type=int, help="spatial size of the example input (default: data.crop_size)")
    p.add_argument("--no-fold", action="store_true", help="keep CoST(a) as three view convolutions")
    p.add_argument("--tolerance", type=float, default=1e-4, help="max allowed |exported - PyTorch|")
    args = p.parse_args(argv)
    check_min(args, frames=1, size=1, tolerance=0)
    check_outputs(dirs=[args.out])
    if args.format in ("onnx", "both"):  # before anything is written
        from pkg_shared.errors import require

        require("onnx", "onnx", "pkg-video")
        require("onnxruntime", "onnx", "pkg-video")
    from pkg_video.engine.checkpoint import load_trained
    from pkg_video.engine.export import export_onnx, export_torchscript, prepare

    model, cfg, classes = load_trained(args.checkpoint, "cpu")
    folded, n = prepare(model, fold=not args.no_fold)
    t, s = args.frames or cfg.data.clip_len, args.size or cfg.data.crop_size
    example = torch.randn(1, 3, t, s, s, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        fold_diff = float((folded(example) - model(example)).abs().max())
    out = args.out or pathlib.Path("export")
    report = {"checkpoint": str(args.checkpoint), "arch": cfg.model.arch, "folded_cost_layers": n,
              "input": [1, 3, t, s, s], "fold_max_abs_diff": fold_diff, "classes": classes}
    print(f"folded {n} CoST layers (max |diff| {fold_diff:.2e})")
    if args.format in ("torchscript", "both"):
        d = export_torchscript(folded, example, out / "model.ts")
        report["torchscript"] = {"path": str(out / "model.ts"), "max_abs_diff": d}
        print(f"TorchScript: {out / 'model.ts'} (max |diff| {d:.2e})")
    if args.format in ("onnx", "both"):
        d = export_onnx(folded, example, out / "model.onnx")
        report["onnx"] = {"path": str(out / "model.onnx"), "max_abs_diff": d}
        print(f"ONNX: {out / 'model.onnx'} (max |diff| {d:.2e})")
    atomic_write_json(out / "export.json", report)
    worst = max([fold_diff] + [report[k]["max_abs_diff"] for k in ("onnx", "torchscript") if k in report])
    if worst > args.tolerance:
        raise PkgError(f"exported model differs from PyTorch by {worst:.2e} (> {args.tolerance})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
