"""Per-stage learning-rate schedule (restarted at every LITM stage).

``step``: linear warm-up from lr*warmup_factor over ``warmup_epochs`` (capped at half the stage),
then x``gamma`` at each milestone fraction of the stage.
``hermans``: constant, then exponential decay to lr*final_factor from ``hermans_start`` of the stage
on, with Adam's beta1 lowered to 0.5 in the decay phase (Hermans et al. 2017).
"""

from __future__ import annotations

from pkg_reid.config import OptimConfig


def lr_factor(cfg: OptimConfig, stage_epoch: float, stage_len: int) -> float:
    """Multiplier of cfg.lr at a (fractional) epoch inside a stage of ``stage_len`` epochs."""
    if cfg.decay == "hermans":
        t0 = cfg.hermans_start * stage_len
        if stage_epoch < t0:
            return 1.0
        return cfg.hermans_final_factor ** ((stage_epoch - t0) / max(stage_len - t0, 1e-9))
    warm = min(cfg.warmup_epochs, stage_len / 2)
    if warm > 0 and stage_epoch < warm:
        return cfg.warmup_factor + (1.0 - cfg.warmup_factor) * stage_epoch / warm
    factor = 1.0
    for m in cfg.milestones:
        if stage_epoch >= m * stage_len:
            factor *= cfg.gamma
    return factor


def beta1(cfg: OptimConfig, stage_epoch: float, stage_len: int) -> float:
    if cfg.decay == "hermans" and stage_epoch >= cfg.hermans_start * stage_len:
        return 0.5
    return cfg.betas[0]
