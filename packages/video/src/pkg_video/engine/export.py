"""TorchScript / ONNX export with CoST(a) folded into plain Conv3d, checked against PyTorch."""

from __future__ import annotations

import contextlib
import copy
import pathlib
import warnings

import torch

from pkg_shared.errors import require
from pkg_video.models import fold_cost


@contextlib.contextmanager
def _quiet():
    """torch deprecates ``torch.jit`` and the TorchScript-based ONNX exporter with a warning on every call; the
    formats are what users ask for, so do not print a screen of warnings with each export."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.|pkg_video\.")
        yield


def prepare(model: torch.nn.Module, fold: bool = True) -> tuple[torch.nn.Module, int]:
    m = copy.deepcopy(model).eval().cpu()
    n = fold_cost(m) if fold else 0
    return m, n


def export_torchscript(model: torch.nn.Module, example: torch.Tensor, path: str | pathlib.Path) -> float:
    """Trace, save atomically, reload and return the max |difference| to the eager model."""
    from pkg_shared.fsutil import atomic_open

    with torch.no_grad(), _quiet():
        ts = torch.jit.trace(model, example)
        with atomic_open(path, "wb") as fh:
            torch.jit.save(ts, fh)
        loaded = torch.jit.load(str(path))
        return float((loaded(example) - model(example)).abs().max())


def export_onnx(model: torch.nn.Module, example: torch.Tensor, path: str | pathlib.Path, opset: int = 17) -> float:
    """ONNX with a dynamic batch axis; returns max |onnxruntime - PyTorch|."""
    require("onnx", "onnx", "pkg-video")
    ort = require("onnxruntime", "onnx", "pkg-video")
    import io

    from pkg_shared.fsutil import atomic_write_bytes

    buf = io.BytesIO()
    with torch.no_grad(), _quiet():
        torch.onnx.export(model, (example,), buf, input_names=["video"], output_names=["logits"],
                          dynamic_axes={"video": {0: "batch"}, "logits": {0: "batch"}}, opset_version=opset,
                          dynamo=False)
        ref = model(example).numpy()
    atomic_write_bytes(path, buf.getvalue())
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"video": example.numpy()})[0]
    return float(abs(got - ref).max())
