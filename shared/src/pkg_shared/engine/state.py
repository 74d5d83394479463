"""Everything a run needs to continue exactly where it stopped, in one checkpoint.

``TrainState.save`` bundles model, optimizer, scheduler, AMP scaler, sampler position, RNG states,
step/epoch and free-form extras (e.g. a margin stage); ``TrainState.restore`` puts them back.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from pkg_shared.engine.checkpoint import (
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def save_train_state(
    path: str | os.PathLike[str],
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    scaler: Any = None,
    sampler: Any = None,
    step: int = 0,
    epoch: int = 0,
    config: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Atomic checkpoint of the whole training state (load it with ``load_train_state``)."""
    state: dict[str, Any] = {
        "model": _unwrap(model).state_dict(),
        "step": int(step),
        "epoch": int(epoch),
        "rng": capture_rng_state(),
    }
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if scaler is not None:
        state["scaler"] = scaler.state_dict()
    if sampler is not None:
        state["sampler"] = sampler.state_dict()
    if config is not None:
        state["config"] = config
    if extra is not None:
        state["extra"] = extra
    save_checkpoint(state, path)


def load_train_state(
    path: str | os.PathLike[str],
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    scaler: Any = None,
    sampler: Any = None,
    restore_rng: bool = True,
    map_location: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Restore what was saved into the given objects; returns the checkpoint (step, epoch, extra...)."""
    state = load_checkpoint(path, map_location=map_location)
    _unwrap(model).load_state_dict(state["model"])
    if optimizer is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    if scaler is not None and "scaler" in state:
        scaler.load_state_dict(state["scaler"])
    if sampler is not None and "sampler" in state:
        sampler.load_state_dict(state["sampler"])
    if restore_rng and "rng" in state:
        restore_rng_state(state["rng"])
    return state
