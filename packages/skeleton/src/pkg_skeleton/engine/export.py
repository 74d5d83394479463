"""TorchScript and ONNX export with an equality check against eager PyTorch."""

from __future__ import annotations

import pathlib

import numpy as np
import torch

from pkg_shared.errors import PkgError, require
from pkg_shared.fsutil import atomic_path


def example_input(cfg, batch: int = 2) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    m = cfg.model
    return torch.randn(batch, m.in_channels, m.frames, m.num_joints, m.num_persons, generator=g)


@torch.no_grad()
def export(model, cfg, fmt: str, out: str | pathlib.Path, atol: float = 1e-5) -> dict:
    """Write the exported model (atomically) and return the max abs difference to eager."""
    model = model.eval().cpu()
    x = example_input(cfg)
    ref = model(x)
    out = pathlib.Path(out)
    if fmt not in ("torchscript", "onnx"):
        raise PkgError(f"unknown export format {fmt!r} (torchscript or onnx)")
    if fmt == "onnx":
        require("onnx", "onnx", "pkg-skeleton")
        ort = require("onnxruntime", "onnx", "pkg-skeleton")
    with atomic_path(out) as tmp:
        if fmt == "torchscript":
            ts = torch.jit.trace(model, (x,), check_trace=False)
            ts.save(str(tmp))
            got = torch.jit.load(str(tmp))(x)
            diff = float((got - ref).abs().max())
        else:
            torch.onnx.export(model, (x,), str(tmp), input_names=["skeleton"], output_names=["logits"],
                              dynamic_axes={"skeleton": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17,
                              dynamo=False)
            sess = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
            got = sess.run(None, {"skeleton": x.numpy()})[0]
            diff = float(np.abs(got - ref.numpy()).max())
        if diff > atol:
            raise PkgError(f"exported {fmt} model differs from PyTorch by {diff:.3g} > {atol}")
    return {"format": fmt, "path": str(out), "max_abs_diff": diff, "atol": atol}
