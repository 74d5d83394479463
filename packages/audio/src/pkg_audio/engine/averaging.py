"""Checkpoint averaging over the per-evaluation checkpoints of a run (spec 6: ``avg_predictions``).

Two modes:

- ``predictions`` (the spec's, after Yu et al.): every checkpoint predicts, the clip
  probabilities are averaged, then the metric is computed. N forward passes per clip.
- ``weights`` (what AST / HTS-AT users call weight averaging): the floating-point tensors of the
  state dicts are averaged (integer buffers such as ``num_batches_tracked`` come from the newest
  checkpoint) and one model predicts. One forward pass; the averaged model can be saved and then
  tagged or exported like any checkpoint.

Either way the result is an ensemble number, never the single-model one; the JSON says which.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence

import torch

from pkg_audio.engine.checkpoints import eval_checkpoints, load_tagger
from pkg_shared.engine import load_checkpoint, save_checkpoint
from pkg_shared.errors import ConfigError, DataFormatError


def run_checkpoints(run_dir: str | os.PathLike[str], last: int) -> list[pathlib.Path]:
    """The newest ``last`` ``ckpt_step<N>.pt`` of a run directory (oldest first)."""
    run_dir = pathlib.Path(run_dir)
    if not run_dir.is_dir():
        raise DataFormatError(run_dir, "run directory not found")
    found = eval_checkpoints(run_dir)
    if not found:
        raise DataFormatError(run_dir, "no per-evaluation checkpoints (ckpt_step*.pt; train.keep_eval_checkpoints was 0?)")
    if last < 1:
        raise ConfigError("--last must be >= 1")
    return found[-last:]


def average_weights(paths: Sequence[str | os.PathLike[str]]) -> dict:
    """Checkpoint dict whose ``model`` is the mean of the given checkpoints' weights.

    Config, classes and step are taken from the newest (last) checkpoint; all must share the
    class list and tensor shapes."""
    if not paths:
        raise ConfigError("no checkpoints to average")
    cks = [load_checkpoint(p) for p in paths]
    for p, ck in zip(paths, cks):
        if "model" not in ck or "classes" not in ck:
            raise DataFormatError(p, "not a pkg-audio checkpoint (no 'model'/'classes' entry)")
    ref = cks[-1]
    avg: dict[str, torch.Tensor] = {}
    for key, val in ref["model"].items():
        for p, ck in zip(paths, cks):
            other = ck["model"].get(key)
            if other is None or other.shape != val.shape:
                raise DataFormatError(p, f"weights do not match the other checkpoints at {key!r}")
            if ck["classes"]["mids"] != ref["classes"]["mids"]:
                raise DataFormatError(p, "its class list differs from the other checkpoints'")
        if val.is_floating_point():
            avg[key] = torch.stack([ck["model"][key].double() for ck in cks]).mean(dim=0).to(val.dtype)
        else:
            avg[key] = val.clone()
    return {"model": avg, "config": ref["config"], "classes": ref["classes"], "step": ref.get("step", 0),
            "averaged_from": [str(p) for p in paths]}


def load_averaged(paths: Sequence[str | os.PathLike[str]], device="cpu", save_to: str | os.PathLike[str] | None = None):
    """(model, cfg, names, mids) of the weight-averaged checkpoints; optionally saved (atomic)."""
    state = average_weights(paths)
    if save_to is None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            save_checkpoint(state, pathlib.Path(tmp) / "avg.pt")
            return load_tagger(pathlib.Path(tmp) / "avg.pt", device)
    save_checkpoint(state, save_to)
    return load_tagger(save_to, device)
