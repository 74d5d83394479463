"""Helpers shared by the console scripts."""

from __future__ import annotations

import json
import pathlib
import sys

import torch

from pkg_efficient.config import ModelConfig
from pkg_efficient.engine.modelio import load_model, probe_input  # noqa: F401 (re-exported)
from pkg_efficient.models import MODELS, build_model
from pkg_shared.config import read_yaml
from pkg_shared.errors import ConfigError
from pkg_shared.fsutil import atomic_write_json


def resolve_recipe(args) -> None:
    """Let ``--config`` name a shipped recipe."""
    if getattr(args, "config", None) is not None:
        from pkg_efficient.configs import recipe_path

        args.config = recipe_path(args.config)
        read_yaml(args.config)  # a syntax error is one line with the file and line, before any work


def get_model(model: str | None, weights: str | None, num_classes: int | None = None):
    """A model from ``--weights`` (self-describing checkpoint or bare state dict of ``--model``) or a fresh ``--model``."""
    if model is not None and model not in MODELS:
        raise ConfigError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if weights:
        kw = {"name": model} if model else {}
        if num_classes:
            kw["num_classes"] = num_classes
        fallback = ModelConfig(**kw) if model else None
        m, spec = load_model(weights, fallback)
        held = spec.get("name") or (spec.get("base") or {}).get("name")
        if model and held and held != model:
            raise ConfigError(f"{weights}: holds a {held} model, not --model {model} (leave out --model)")
        return m.eval(), spec
    if model is None:
        raise ConfigError("give --model NAME and/or --weights FILE")
    kw = {"num_classes": num_classes} if num_classes else {}
    return build_model(model, **kw).eval(), {"name": model}


def model_label(model: str | None, weights: str | None) -> str:
    """How error messages name the model: the checkpoint path, else the model name."""
    return str(weights) if weights else f"model {model}"


def emit(obj: dict, out: pathlib.Path | None) -> None:
    """JSON to ``--out`` (atomic) or stdout."""
    if out is not None:
        if out.suffix != ".json":
            out.mkdir(parents=True, exist_ok=True)
            out = out / "result.json"
        atomic_write_json(out, obj)
        print(f"wrote {out}", file=sys.stderr)
    else:
        print(json.dumps(obj, indent=2, default=float))


def threads(n: int | None) -> None:
    if n:
        torch.set_num_threads(n)
