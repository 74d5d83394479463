"""Loading a trained tagger (config + classes travel inside every checkpoint)."""

from __future__ import annotations

import os
import pathlib
import re

from pkg_audio.config import AudioConfig
from pkg_audio.models import AudioTagger, build_model
from pkg_shared.config import from_dict
from pkg_shared.engine import load_checkpoint
from pkg_shared.errors import DataFormatError


def eval_checkpoints(run_dir: str | os.PathLike[str]) -> list[pathlib.Path]:
    """The per-evaluation checkpoints ``ckpt_step<N>.pt`` of a run, oldest first (by step)."""
    found = [(int(m.group(1)), p) for p in pathlib.Path(run_dir).glob("ckpt_step*.pt")
             if (m := re.fullmatch(r"ckpt_step(\d+)", p.stem))]
    return [p for _, p in sorted(found)]


def load_tagger(path: str | os.PathLike[str], device="cpu") -> tuple[AudioTagger, AudioConfig, list[str], list[str]]:
    try:
        ck = load_checkpoint(path)
    except DataFormatError as exc:
        # pkg_shared's message embeds torch's multi-line text; keep the CLI error on one line
        raise DataFormatError(path, exc.problem.splitlines()[0].rstrip(" (:")) from exc
    for key in ("model", "config", "classes"):
        if key not in ck:
            raise DataFormatError(path, f"not a pkg-audio checkpoint (no '{key}' entry)")
    cfg = from_dict(AudioConfig, ck["config"])
    model = build_model(cfg.model)
    try:
        model.load_state_dict(ck["model"])
    except RuntimeError as exc:
        raise DataFormatError(path, f"weights do not fit the stored config ({str(exc).splitlines()[0]})") from exc
    model.to(device).eval()
    return model, cfg, list(ck["classes"]["names"]), list(ck["classes"]["mids"])
