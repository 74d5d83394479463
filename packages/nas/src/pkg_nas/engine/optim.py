"""SGD with weight decay off for BN and biases, linear-scaled LR and per-iteration schedules."""

from __future__ import annotations

import math

import torch
from torch import nn

from pkg_nas.config import TrainConfig


def make_optimizer(model: nn.Module, cfg: TrainConfig, batch_size: int) -> torch.optim.SGD:
    decay, no_decay = [], []
    for p in model.parameters():
        if not p.requires_grad:
            continue
        (decay if (p.ndim > 1 or cfg.wd_on_bn_bias) else no_decay).append(p)
    lr = base_lr(cfg, batch_size)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.SGD(groups, lr=lr, momentum=cfg.momentum, nesterov=cfg.nesterov)


def base_lr(cfg: TrainConfig, batch_size: int) -> float:
    """Linear scaling rule: ``lr * batch / lr_ref_batch``."""
    return cfg.lr * batch_size / cfg.lr_ref_batch


def lr_factor(cfg: TrainConfig, progress_epochs: float, total_epochs: int) -> float:
    """Multiplier of the base LR at fractional epoch ``progress_epochs`` (warm-up, then schedule)."""
    if cfg.warmup_epochs > 0 and progress_epochs < cfg.warmup_epochs:
        return (progress_epochs + 1e-8) / cfg.warmup_epochs
    if cfg.schedule == "cosine":
        t = min(max(progress_epochs, 0.0) / max(total_epochs, 1), 1.0)
        return 0.5 * (1.0 + math.cos(math.pi * t))
    if cfg.schedule == "step":
        return cfg.gamma ** sum(progress_epochs >= m for m in cfg.milestones)
    return 1.0


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for g in opt.param_groups:
        g["lr"] = lr
