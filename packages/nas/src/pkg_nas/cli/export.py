"""nas-export: TorchScript and ONNX files of a trained assignment, each checked against PyTorch."""

from __future__ import annotations

import pathlib

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import PkgError, require
from pkg_shared.fsutil import atomic_write_bytes, atomic_write_json

EXAMPLE = """examples:
  nas-export --checkpoint runs/c100_2392/last.pt --format both --out exported/
"""


def export(model, input_size: int, out: pathlib.Path, fmt: str, atol: float = 1e-4) -> dict:
    import io

    import torch

    model = model.eval().cpu()
    x = torch.randn(2, 3, input_size, input_size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = model(x)
    report: dict = {}
    if fmt in ("torchscript", "both"):
        ts = torch.jit.trace(model, x)
        buf = io.BytesIO()
        torch.jit.save(ts, buf)
        atomic_write_bytes(out / "model.ts", buf.getvalue())
        got = torch.jit.load(str(out / "model.ts"))(x)
        err = float((got - ref).abs().max())
        report["torchscript"] = {"path": str(out / "model.ts"), "max_abs_diff": err}
        if err > atol:
            raise PkgError(f"TorchScript output differs from PyTorch by {err:.2e} (> {atol})")
    if fmt in ("onnx", "both"):
        require("onnx", "onnx", "pkg-nas")
        ort = require("onnxruntime", "onnx", "pkg-nas")
        buf = io.BytesIO()
        torch.onnx.export(model, (x,), buf, input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)
        atomic_write_bytes(out / "model.onnx", buf.getvalue())
        sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
        got = torch.from_numpy(sess.run(None, {"image": x.numpy()})[0])
        err = float((got - ref).abs().max())
        report["onnx"] = {"path": str(out / "model.onnx"), "max_abs_diff": err}
        if err > atol:
            raise PkgError(f"ONNX output differs from PyTorch by {err:.2e} (> {atol})")
    return report


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("nas-export", "Export a trained network to TorchScript and/or ONNX (with an equality check).",
                    config=False, device=False, seed=False)
    p.epilog = EXAMPLE
    p.add_argument("--checkpoint", required=True, type=pathlib.Path)
    p.add_argument("--format", choices=["torchscript", "onnx", "both"], default="both")
    args = p.parse_args(argv)
    from pkg_nas.engine.train import load_model

    model, cfg, _ = load_model(args.checkpoint, "cpu")
    out = args.out or args.checkpoint.parent / "export"
    report = export(model, cfg.model.input_size, out, args.format)
    report["assignment"] = cfg.assignment
    atomic_write_json(out / "export.json", report)
    for k, v in report.items():
        if isinstance(v, dict):
            print(f"{k}: {v['path']} (max |diff| vs PyTorch {v['max_abs_diff']:.2e})")
    return 0
