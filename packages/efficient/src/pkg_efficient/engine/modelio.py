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
    """The configured model; ``init`` loads weights into it, and an ``init`` that is a compressed
    checkpoint (efficient-compress) is rebuilt as that smaller model (fine-tuning it with
    efficient-train); its spec stays attached as ``efficient_spec`` so the trained checkpoint rebuilds too."""
    if cfg.init:
        state = load_checkpoint(cfg.init)
        if isinstance(state, dict) and isinstance(state.get("spec"), dict) and "compression" in state["spec"]:
            model, spec = _from_state(state, cfg.init)
            model.efficient_spec = spec
            return model
    model = build_model(cfg.name, **model_kwargs(cfg))
    if cfg.init:
        load_weights_into(model, cfg.init, state)
    return model


def model_spec(model: nn.Module, cfg: ModelConfig | dict) -> ModelConfig | dict:
    """What to save with ``model``: its attached compressed spec, else ``cfg``."""
    return getattr(model, "efficient_spec", None) or cfg


def mismatch_summary(exc: RuntimeError) -> str:
    """The first concrete problem of a ``load_state_dict`` error on one line (its first line only
    says "Error(s) in loading state_dict for VGG:")."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    detail = next((ln for ln in lines[1:]), "")
    if len(detail) > 300:
        detail = detail[:300] + " ..."
    return f"{lines[0]} {detail}".strip() if lines else type(exc).__name__


def load_weights_into(model: nn.Module, path: str | pathlib.Path, state=None) -> None:
    state = load_checkpoint(path) if state is None else state
    sd = state.get("state_dict", state.get("model", state)) if isinstance(state, dict) else state
    try:
        model.load_state_dict(sd)
    except RuntimeError as exc:
        raise DataFormatError(path, f"weights do not fit the model ({mismatch_summary(exc)})") from exc


def save_model(path: str | pathlib.Path, model: nn.Module, cfg: ModelConfig | dict, extra: dict | None = None) -> None:
    spec = to_dict(cfg) if not isinstance(cfg, dict) else cfg
    save_checkpoint({"spec": spec, "state_dict": model.state_dict(), **(extra or {})}, path)


def load_model(path: str | pathlib.Path, fallback: ModelConfig | None = None) -> tuple[nn.Module, dict]:
    """Rebuild a model saved by :func:`save_model` (or load a bare state dict into ``fallback``)."""
    state = load_checkpoint(path)
    if isinstance(state, dict) and "spec" in state:
        return _from_state(state, path)
    if fallback is None:
        raise DataFormatError(path, "a bare state dict: say which model it is (--model)")
    model = build_from_config(fallback)
    load_weights_into(model, path, state)
    return model, to_dict(fallback)


def _from_state(state: dict, path: str | pathlib.Path) -> tuple[nn.Module, dict]:
    """Rebuild the model a self-describing checkpoint names and load its weights."""
    spec = state["spec"]
    if "compression" in spec:
        from pkg_efficient.compress.rebuild import rebuild

        model = rebuild(spec)
    else:
        model = build_from_config(from_dict(ModelConfig, {**spec, "init": None}))
    try:
        model.load_state_dict(state["state_dict"])
    except RuntimeError as exc:
        raise DataFormatError(path, f"state dict does not match its spec ({mismatch_summary(exc)})") from exc
    return model, spec


def to_device(model: nn.Module, device: torch.device) -> nn.Module:
    return model.to(device)


def probe_input(model: nn.Module, size: int, what: str, num_classes: int | None = None) -> None:
    """One forward of a zero 3 x size x size image: a wrong input size (or too few classes for the
    data) becomes a one-line ConfigError instead of a traceback deep inside the model."""
    from pkg_shared.errors import ConfigError

    if size < 1:
        raise ConfigError(f"input size must be positive, got {size}")
    was = model.training
    model.eval()
    try:
        p = next(model.parameters(), None)
        x = torch.zeros(1, 3, size, size, device=p.device if p is not None else None,
                        dtype=p.dtype if p is not None and p.is_floating_point() else None)
        with torch.no_grad():
            out = model(x)
    except RuntimeError as exc:
        raise ConfigError(f"{what} does not accept 3x{size}x{size} inputs ({str(exc).strip().splitlines()[0]})") from exc
    finally:
        model.train(was)
    if num_classes is not None and out.shape[-1] < num_classes:
        raise ConfigError(f"{what} predicts {out.shape[-1]} classes but the data has {num_classes}: "
                          f"set the number of classes (e.g. --set model.num_classes={num_classes})")
