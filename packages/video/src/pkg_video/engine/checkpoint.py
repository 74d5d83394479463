"""Load a trained recognizer (config + weights + class names) from one of our checkpoints."""

from __future__ import annotations

import torch

from pkg_shared.config import from_dict
from pkg_shared.engine import load_checkpoint
from pkg_shared.errors import ConfigError, DataFormatError
from pkg_video.config import Config
from pkg_video.models import build_model


def read_checkpoint(path: str) -> dict:
    """``pkg_shared.engine.load_checkpoint`` with its error cut to one line (its message embeds
    torch's multi-line unpickling text)."""
    try:
        return load_checkpoint(path)
    except DataFormatError as exc:
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else ""
        problem = exc.problem.splitlines()[0] if not cause else f"not a readable checkpoint ({cause})"
        raise DataFormatError(path, problem) from None


def load_trained(path: str, device: torch.device | str = "cpu") -> tuple[torch.nn.Module, Config, list[str]]:
    ck = read_checkpoint(path)
    if not isinstance(ck, dict) or "model" not in ck or "config" not in ck:
        raise DataFormatError(path, "not a pkg-video checkpoint (needs 'model' and 'config'; "
                              "convert MMAction2 checkpoints with video-import-mmaction)")
    try:
        cfg = from_dict(Config, ck["config"])
    except ConfigError as exc:  # e.g. written by another version of pkg-video
        raise DataFormatError(path, f"its stored config does not fit this pkg-video ({exc})") from None
    cfg_model = cfg.model.__class__(**{**cfg.model.__dict__, "pretrained": None})
    model = build_model(cfg_model)
    try:
        model.load_state_dict(ck["model"])
    except RuntimeError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        detail = lines[1] if len(lines) > 1 else lines[0] if lines else type(exc).__name__
        raise DataFormatError(path, f"weights do not match the stored config ({detail[:300]})") from None
    classes = list(ck.get("classes") or [str(i) for i in range(cfg.model.num_classes)])
    if len(classes) != cfg.model.num_classes:
        raise DataFormatError(path, f"{len(classes)} class names for a model with {cfg.model.num_classes} classes")
    return model.to(device).eval(), cfg, classes
