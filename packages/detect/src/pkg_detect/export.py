"""TorchScript and ONNX export with an equality check against PyTorch.

The exported graph is the network only (image in [0, 1] -> raw top, bottom, line maps); decoding
and the MRF stay in Python. ``temporal_step`` exports one streaming Conv-LSTM step
(frame, h, c) -> (top, bottom, line, h, c).
"""

from __future__ import annotations

import pathlib

import numpy as np
import torch
from torch import nn

from pkg_detect.models import TLLNet
from pkg_shared.errors import PkgError, require
from pkg_shared.fsutil import atomic_path


class _Frame(nn.Module):
    def __init__(self, model: TLLNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor):
        o = self.model(x)
        return o["top"], o["bottom"], o["line"]


class _Step(nn.Module):
    def __init__(self, model: TLLNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        o, (h2, c2) = self.model.step(x, (h, c))
        return o["top"], o["bottom"], o["line"], h2, c2


def example_inputs(model: TLLNet, height: int, width: int, temporal_step: bool):
    x = torch.rand(1, 3, height, width)
    if not temporal_step:
        return (x,)
    if model.temporal != "convlstm":
        raise PkgError("--temporal-step needs a Conv-LSTM model (model.temporal_mode=convlstm)")
    stride = 4 * (2 if model.cfg.temporal_stride == 8 else 1)
    hh, ww = -(-height // 16) * 4 // (stride // 4), -(-width // 16) * 4 // (stride // 4)
    z = torch.zeros(1, model.cfg.temporal_channels, hh, ww)
    return (x, z, z.clone())


def export(model: TLLNet, out: str | pathlib.Path, fmt: str = "torchscript", height: int = 480, width: int = 640,
           temporal_step: bool = False, atol: float = 1e-4) -> dict:
    model = model.eval()
    wrapper = (_Step if temporal_step else _Frame)(model).eval()
    inputs = example_inputs(model, height, width, temporal_step)
    with torch.no_grad():
        ref = [t.numpy() for t in wrapper(*inputs)]
    out = pathlib.Path(out)
    names_in = ["image", "h", "c"][: len(inputs)]
    names_out = ["top", "bottom", "line", "h_out", "c_out"][: len(ref)]
    if fmt != "torchscript":
        require("onnx", "onnx", "pkg-detect")
        ort = require("onnxruntime", "onnx", "pkg-detect")
    with atomic_path(out) as tmp:
        if fmt == "torchscript":
            with torch.no_grad():
                traced = torch.jit.trace(wrapper, inputs)
            traced.save(str(tmp))
            with torch.no_grad():
                got = [t.numpy() for t in torch.jit.load(str(tmp))(*inputs)]
        else:
            with torch.no_grad():
                torch.onnx.export(wrapper, inputs, str(tmp), input_names=names_in, output_names=names_out,
                                  opset_version=17, dynamo=False)
            sess = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
            got = sess.run(None, {n: t.numpy() for n, t in zip(names_in, inputs)})
        err = max(float(np.abs(a - b).max()) for a, b in zip(ref, got))
        if err > atol:
            raise PkgError(f"exported {fmt} model differs from PyTorch (max abs error {err:.2e} > {atol})")
    return {"format": fmt, "path": str(out), "max_abs_error": err, "inputs": names_in, "outputs": names_out,
            "input_size": [height, width]}
