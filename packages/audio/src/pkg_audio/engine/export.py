"""TorchScript and ONNX export of the clip-level tagger, each checked against eager PyTorch."""

from __future__ import annotations

import pathlib

import numpy as np
import torch
from torch import nn

from pkg_shared.errors import PkgError, require
from pkg_shared.fsutil import atomic_path


class ClipwiseWrapper(nn.Module):
    """waveform (B, L) -> (clip probabilities (B, K), embedding (B, C)): plain tensors for export."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model(wave)
        return out["clipwise"], out["embedding"]


def export_torchscript(model: nn.Module, example: torch.Tensor, path: str | pathlib.Path, atol: float = 1e-5) -> float:
    """Trace, save, reload and compare; returns the max abs difference (raises above ``atol``)."""
    wrapper = ClipwiseWrapper(model).eval()
    with torch.no_grad():
        traced = torch.jit.trace(wrapper, example, check_trace=False)
    with atomic_path(path) as tmp:
        with torch.no_grad():
            traced.save(str(tmp))
            loaded = torch.jit.load(str(tmp))
            ref = wrapper(example)[0]
            got = loaded(example)[0]
        diff = float((ref - got).abs().max())
        if diff > atol:
            raise PkgError(f"TorchScript output differs from eager by {diff:.2e} (> {atol})")
    return diff


def export_onnx(model: nn.Module, example: torch.Tensor, path: str | pathlib.Path, atol: float = 1e-4) -> float:
    """ONNX (opset 17, dynamic batch and length) verified with onnxruntime; returns the max abs difference."""
    require("onnx", "onnx", "pkg-audio")
    ort = require("onnxruntime", "onnx", "pkg-audio")
    wrapper = ClipwiseWrapper(model).eval()
    with atomic_path(path) as tmp:
        with torch.no_grad():
            torch.onnx.export(
                wrapper, (example,), str(tmp), input_names=["waveform"], output_names=["clipwise", "embedding"],
                dynamic_axes={"waveform": {0: "batch", 1: "samples"}, "clipwise": {0: "batch"}, "embedding": {0: "batch"}},
                opset_version=17, dynamo=False,
            )
            ref = wrapper(example)[0].numpy()
        sess = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
        got = sess.run(["clipwise"], {"waveform": example.numpy()})[0]
        diff = float(np.abs(ref - got).max())
        if diff > atol:
            raise PkgError(f"ONNX output differs from eager by {diff:.2e} (> {atol})")
    return diff
