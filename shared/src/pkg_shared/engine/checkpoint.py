"""Atomic checkpoints that load with ``torch.load(weights_only=True)`` and restore RNG state.

Store only tensors and plain containers (numbers, strings, lists, dicts). RNG states of python and
numpy are converted to tensors/lists so that the safe loader accepts them.
"""

from __future__ import annotations

import io
import os
import pathlib
import random
from typing import Any

import numpy as np
import torch

from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_write_bytes


def capture_rng_state() -> dict[str, Any]:
    """Python, numpy, torch CPU and CUDA generator states in a weights_only-safe form."""
    py_version, py_state, py_gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": {"version": py_version, "state": list(py_state), "gauss": py_gauss},
        "numpy": {
            "name": np_name,
            "keys": torch.from_numpy(np.asarray(np_keys, dtype=np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "gauss": float(np_gauss),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"]), py["gauss"]))
    npst = state["numpy"]
    np.random.set_state(
        (npst["name"], npst["keys"].numpy().astype(np.uint32), npst["pos"], npst["has_gauss"], npst["gauss"])
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Serialise to memory, then write atomically (temp file + fsync + os.replace)."""
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | os.PathLike[str], map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Safe load; a missing or corrupt file raises DataFormatError naming it."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "checkpoint file not found")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # pickle/zip errors from a truncated or foreign file
        first_line = (str(exc).strip().splitlines() or [""])[0][:200]
        raise DataFormatError(path, f"not a readable checkpoint ({type(exc).__name__}: {first_line})") from exc


def latest_checkpoint(run_dir: str | os.PathLike[str], name: str = "last.pt") -> pathlib.Path | None:
    p = pathlib.Path(run_dir) / name
    return p if p.is_file() else None
