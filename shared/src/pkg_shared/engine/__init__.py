"""Pieces of a training loop (the loop itself stays visible in each package's engine/train.py)."""

from pkg_shared.engine.checkpoint import (
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from pkg_shared.engine.counting import count_macs, count_params, macs_by_module
from pkg_shared.engine.sampler import ResumableSampler
from pkg_shared.engine.seed import seed_everything, set_deterministic
from pkg_shared.engine.state import load_train_state, save_train_state

__all__ = [
    "ResumableSampler",
    "load_train_state",
    "save_train_state",
    "capture_rng_state",
    "count_macs",
    "count_params",
    "load_checkpoint",
    "macs_by_module",
    "restore_rng_state",
    "save_checkpoint",
    "seed_everything",
    "set_deterministic",
]
