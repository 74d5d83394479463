"""TorchScript (trace) and ONNX export of a trained model, each checked against eager PyTorch.

The video length T is fixed by the recipe (steps after pooling); the batch size and the number of
words stay dynamic. Files are written atomically.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from pkg_shared.errors import PkgError
from pkg_shared.fsutil import atomic_path


def example_inputs(t: int, video_dim: int, vocab_size: int, batch: int = 2, words: int = 7, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    video = torch.rand(batch, t, video_dim, generator=g)
    vmask = torch.ones(batch, t)
    w = torch.randint(2, max(3, vocab_size), (batch, words), generator=g)
    wmask = torch.ones(batch, words)
    if batch > 1:
        w[1, words // 2:] = 0
        wmask[1, words // 2:] = 0
    return video, vmask, w, wmask


def export_torchscript(model: torch.nn.Module, inputs, path: str | os.PathLike[str], atol: float = 1e-5) -> float:
    model = model.eval()
    with torch.no_grad():
        traced = torch.jit.trace(model, inputs, check_trace=False)
        ref = model(*inputs)
        other = tuple(x[:1] for x in inputs)
        err = max(float((traced(*inputs) - ref).abs().max()), float((traced(*other) - model(*other)).abs().max()))
    if err > atol:
        raise PkgError(f"TorchScript output differs from PyTorch by {err:.2e} (> {atol})")
    with atomic_path(path) as tmp:
        traced.save(str(tmp))
    return err


def export_onnx(model: torch.nn.Module, inputs, path: str | os.PathLike[str], atol: float = 1e-4) -> float:
    from pkg_shared.errors import require

    ort = require("onnxruntime", "onnx", "pkg-grounding")
    model = model.eval()
    names = ["video", "video_mask", "words", "word_mask"]
    with atomic_path(path) as tmp:
        with torch.no_grad():
            torch.onnx.export(model, inputs, str(tmp), input_names=names, output_names=["logits"], dynamo=False,
                              opset_version=17,
                              dynamic_axes={"video": {0: "batch"}, "video_mask": {0: "batch"},
                                            "words": {0: "batch", 1: "words"}, "word_mask": {0: "batch", 1: "words"},
                                            "logits": {0: "batch"}})
        sess = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
        err = 0.0
        for ins in (inputs, tuple(x[:1] for x in inputs)):
            feed = {n: x.numpy() for n, x in zip(names, ins)}
            out = sess.run(None, feed)[0]
            with torch.no_grad():
                err = max(err, float(np.abs(out - model(*ins).numpy()).max()))
        if err > atol:
            raise PkgError(f"ONNX Runtime output differs from PyTorch by {err:.2e} (> {atol})")
    return err
