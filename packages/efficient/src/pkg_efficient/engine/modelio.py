"""Model checkpoints that rebuild themselves: ``{"spec": {...}, "state_dict": ...}``.

``spec`` is the ModelConfig as a dict (standard models) or, for compressed models, the base
model plus the structural edits (pruned widths / decomposed layers), so a smaller model is a
real smaller model after loading, with no masks. Plain torchvision state dicts are accepted too.
"""

from __future__ import annotations

import pathlib

import torch
from torch import nn

from pkg_efficient.config import ModelConfig, model_kwargs
from pkg_efficient.models import build_model
from pkg_shared.config import from_dict, to_dict
from pkg_shared.engine import load_checkpoint, save_checkpoint
from pkg_shared.errors import DataFormatError


def build_from_config(cfg: ModelConfig) -> nn.Module:
    model = build_model(cfg.name, **model_kwargs(cfg))
    if cfg.init:
        load_weights_into(model, cfg.init)
    return model


def load_weights_into(model: nn.Module, path: str | pathlib.Path) -> None:
    state = load_checkpoint(path)
    sd = state.get("state_dict", state.get("model", state)) if isinstance(state, dict) else state
    try:
        model.load_state_dict(sd)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise DataFormatError(path, f"weights do not fit the model ({first})") from exc


def save_model(path: str | pathlib.Path, model: nn.Module, cfg: ModelConfig | dict, extra: dict | None = None) -> None:
    spec = to_dict(cfg) if not isinstance(cfg, dict) else cfg
    save_checkpoint({"spec": spec, "state_dict": model.state_dict(), **(extra or {})}, path)


def load_model(path: str | pathlib.Path, fallback: ModelConfig | None = None) -> tuple[nn.Module, dict]:
    """Rebuild a model saved by :func:`save_model` (or load a bare state dict into ``fallback``)."""
    state = load_checkpoint(path)
    if isinstance(state, dict) and "spec" in state:
        spec = state["spec"]
        if "compression" in spec:
            from pkg_efficient.compress.rebuild import rebuild

            model = rebuild(spec)
        else:
            model = build_from_config(from_dict(ModelConfig, {**spec, "init": None}))
        try:
            model.load_state_dict(state["state_dict"])
        except RuntimeError as exc:
            raise DataFormatError(path, f"state dict does not match its spec ({str(exc).splitlines()[0]})") from exc
        return model, spec
    if fallback is None:
        raise DataFormatError(path, "a bare state dict: say which model it is (--model)")
    model = build_from_config(fallback)
    load_weights_into(model, path)
    return model, to_dict(fallback)


def to_device(model: nn.Module, device: torch.device) -> nn.Module:
    return model.to(device)
