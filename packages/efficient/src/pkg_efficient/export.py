"""Export without custom ops: TorchScript (traced) and ONNX (shifts as Pad/Slice/Concat), each
checked against PyTorch (max abs diff)."""

from __future__ import annotations

import pathlib
import warnings

import torch
from torch import nn

from pkg_efficient.ops.fold import to_inference
from pkg_shared.errors import require
from pkg_shared.fsutil import atomic_path


def export_model(model: nn.Module, path: str | pathlib.Path, fmt: str, input_size: int = 224, tol: float = 1e-5) -> dict:
    model = to_inference(model.eval(), export_mode=True)
    x = torch.randn(2, 3, input_size, input_size)
    with torch.no_grad():
        ref = model(x)
    with atomic_path(path) as tmp, warnings.catch_warnings():  # renamed onto ``path`` only if the export verifies
        # tracing the shift's Python-int slicing and ONNX constant folding warn loudly but harmlessly:
        # the equality check below is what tells whether the export is right
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message="Constant folding")
        if fmt == "torchscript":
            with torch.no_grad():
                ts = torch.jit.trace(model, x)
            ts.save(str(tmp))
            got = torch.jit.load(str(tmp))(x)
        elif fmt == "onnx":
            require("onnx", "onnx", "pkg-efficient")
            ort = require("onnxruntime", "onnx", "pkg-efficient")
            torch.onnx.export(model, (x,), str(tmp), input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)
            sess = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
            got = torch.from_numpy(sess.run(None, {"input": x.numpy()})[0])
        else:
            raise ValueError(f"unknown format {fmt!r}")
        diff = float((got - ref).abs().max())
        if diff > tol:
            raise RuntimeError(f"exported {fmt} differs from PyTorch by {diff:.3g} > {tol}")
    return {"format": fmt, "path": str(path), "max_abs_diff": diff}
