"""Choice between a Triton kernel and its PyTorch reference."""

from __future__ import annotations

import functools
import os
from typing import Literal

import torch

Backend = Literal["auto", "triton", "reference"]


@functools.lru_cache(maxsize=1)
def triton_available() -> bool:
    try:
        import triton
        import triton.language  # noqa: F401
    except Exception:
        return False
    return True


def interpreter_on() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def choose(backend: Backend, *tensors: torch.Tensor) -> Literal["triton", "reference"]:
    forced = os.environ.get("PKG_SHARED_OPS_BACKEND")
    if forced in ("triton", "reference"):
        backend = forced  # type: ignore[assignment]
    if backend == "reference":
        return "reference"
    if backend == "triton":
        if not triton_available():
            raise RuntimeError("backend='triton' requested but Triton cannot be imported")
        if not all(t.is_cuda for t in tensors) and not interpreter_on():
            raise RuntimeError("Triton kernels need CUDA tensors (or TRITON_INTERPRET=1 for CPU debugging)")
        return "triton"
    if triton_available() and all(t.is_cuda for t in tensors):
        return "triton"
    return "reference"
