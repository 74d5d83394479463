"""Export the embedding model to TorchScript and ONNX, each checked against PyTorch's output."""

from __future__ import annotations

import io
import pathlib
import warnings

import numpy as np
import torch

from pkg_reid.models import EmbeddingModel
from pkg_shared.errors import PkgError, require
from pkg_shared.fsutil import atomic_write_bytes


def export_torchscript(net, out: str | pathlib.Path, height: int, width: int, atol: float = 1e-4) -> dict:
    model = EmbeddingModel(net).eval()
    x = torch.randn(2, 3, height, width, generator=torch.Generator().manual_seed(0))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated but still the TorchScript format
        ref = model(x)
        traced = torch.jit.trace(model, x)
        buf = io.BytesIO()
        torch.jit.save(traced, buf)
        atomic_write_bytes(out, buf.getvalue())
        loaded = torch.jit.load(str(out))
        got = loaded(torch.randn(3, 3, height, width, generator=torch.Generator().manual_seed(1)))
        ref2 = model(torch.randn(3, 3, height, width, generator=torch.Generator().manual_seed(1)))
        err = float(max((loaded(x) - ref).abs().max(), (got - ref2).abs().max()))
    if err > atol:
        raise PkgError(f"{out}: TorchScript output differs from PyTorch by {err:.2e} (> {atol})")
    return {"format": "torchscript", "path": str(out), "max_abs_diff": err}


def export_onnx(net, out: str | pathlib.Path, height: int, width: int, atol: float = 1e-4, opset: int = 17) -> dict:
    require("onnx", "onnx", "pkg-reid")
    ort = require("onnxruntime", "onnx", "pkg-reid")
    model = EmbeddingModel(net).eval()
    x = torch.randn(2, 3, height, width, generator=torch.Generator().manual_seed(0))
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript-based exporter needs no onnxscript
        torch.onnx.export(model, (x,), buf, input_names=["images"], output_names=["embeddings"],
                          dynamic_axes={"images": {0: "batch"}, "embeddings": {0: "batch"}}, opset_version=opset,
                          dynamo=False)
        atomic_write_bytes(out, buf.getvalue())
        x2 = torch.randn(3, 3, height, width, generator=torch.Generator().manual_seed(1))
        ref = model(x2).numpy()
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"images": x2.numpy()})[0]
    err = float(np.abs(got - ref).max())
    if err > atol:
        raise PkgError(f"{out}: ONNX Runtime output differs from PyTorch by {err:.2e} (> {atol})")
    return {"format": "onnx", "path": str(out), "max_abs_diff": err, "opset": opset}
