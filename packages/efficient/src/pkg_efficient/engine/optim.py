"""Parameter groups (no weight decay on BN, biases and shift displacements) and the LR schedule."""

from __future__ import annotations

import math

import torch
from torch import nn

from pkg_efficient.config import TrainConfig
from pkg_efficient.ops.shift import SparseShift2d


def param_groups(model: nn.Module, cfg: TrainConfig) -> list[dict]:
    shift_ids = {id(m.disp) for m in model.modules() if isinstance(m, SparseShift2d) and hasattr(m, "disp")}
    decay, no_decay, shifts = [], [], []
    for p in model.parameters():
        if not p.requires_grad:
            continue
        if id(p) in shift_ids:
            shifts.append(p)
        elif p.ndim <= 1:
            no_decay.append(p)
        else:
            decay.append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay, "lr_mult": 1.0, "name": "decay"},
              {"params": no_decay, "weight_decay": 0.0, "lr_mult": 1.0, "name": "no_decay"}]
    if shifts:
        groups.append({"params": shifts, "weight_decay": 0.0, "lr_mult": cfg.shift_lr_mult, "name": "shift"})
    return groups


def build_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    return torch.optim.SGD(param_groups(model, cfg), lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)


def lr_at(step: int, total_steps: int, steps_per_epoch: int, cfg: TrainConfig) -> float:
    """Linear warm-up over ``warmup_epochs`` then cosine decay to ``min_lr`` (per iteration)."""
    warm = int(cfg.warmup_epochs * steps_per_epoch)
    if step < warm:
        return cfg.lr * (step + 1) / warm
    t = (step - warm) / max(1, total_steps - warm)
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * min(1.0, t)))


def penalty_lambda(step: int, steps_per_epoch: int, cfg: TrainConfig) -> float:
    warm = cfg.penalty_warmup_epochs * steps_per_epoch
    return cfg.shift_penalty * (min(1.0, (step + 1) / warm) if warm > 0 else 1.0)
