"""Wires a RunConfig into a search: held-out split, supernet, trainer, evaluator, budgets."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable

import torch

from pkg_nas.config import RunConfig
from pkg_nas.data.datasets import Splits, build_splits
from pkg_nas.models import Supernet, default_supernet_blocks
from pkg_nas.profile import profile
from pkg_nas.search.baselines import random_search, uniform_search
from pkg_nas.search.evaluate import SupernetEvaluator
from pkg_nas.search.inherited import inherited_search
from pkg_nas.search.supernet_train import SupernetTrainer
from pkg_nas.space import LayerAssignment
from pkg_shared.engine import save_checkpoint, seed_everything
from pkg_shared.errors import ConfigError
from pkg_shared.fsutil import atomic_write_json, atomic_write_text

METHODS = ("inherited", "uniform", "evolution", "random")


def budget_filter(cfg: RunConfig) -> Callable[[LayerAssignment], bool] | None:
    s = cfg.search
    if s.macs_budget is None and s.params_budget is None:
        return None

    def ok(a: LayerAssignment) -> bool:
        p = profile(cfg.model, a)
        return (s.macs_budget is None or p.macs <= s.macs_budget) and (s.params_budget is None or p.params <= s.params_budget)

    return ok


def search_splits(cfg: RunConfig) -> Splits:
    """The search never sees the test split: train on train minus the held-out val split."""
    data = dataclasses.replace(cfg.data, train_on="train_minus_val")
    splits = build_splits(data, cfg.model.input_size)
    if len(splits.val) == 0:
        raise ConfigError("the held-out validation split is empty: raise data.val_per_class")
    return splits


def run_search(cfg: RunConfig, method: str, out_dir: str | pathlib.Path | None = None, *,
               device: torch.device | str = "cpu", splits: Splits | None = None,
               log: Callable[[str], None] = print, stop_after_steps: int | None = None) -> dict:
    if method not in METHODS:
        raise ConfigError(f"unknown search method {method!r}; choose from {', '.join(METHODS)}")
    s = cfg.search
    seed_everything(s.seed)
    splits = splits or search_splits(cfg)
    if len(splits.val) == 0:
        raise ConfigError("the held-out validation split is empty: raise data.val_per_class")
    blocks = LayerAssignment(s.supernet_blocks) if s.supernet_blocks else default_supernet_blocks(
        cfg.model.stages, s.target_depth, s.max_per_stage)
    supernet = Supernet(cfg.model, blocks).to(device)
    trainer = SupernetTrainer(cfg, supernet, splits.train, device=device, log=log)
    evaluator = SupernetEvaluator(supernet, splits.train_eval, splits.val, recal_batches=s.recal_batches,
                                  recal_batch_size=s.recal_batch_size, eval_batch_size=cfg.data.eval_batch_size,
                                  device=device, seed=s.seed)
    caps = tuple(min(b, c) for b, c in zip(blocks, s.max_per_stage)) if s.max_per_stage else tuple(blocks)
    s_caps = dataclasses.replace(s, max_per_stage=caps)
    allowed = budget_filter(cfg)
    if method == "inherited":
        result = inherited_search(s_caps, cfg.model.stages, evaluator, trainer=trainer, out_dir=out_dir,
                                  allowed=allowed, stop_after_steps=stop_after_steps, log=log)
    elif method in ("uniform", "evolution"):
        result = uniform_search(s_caps, cfg.model.stages, evaluator, trainer=trainer, allowed=allowed,
                                force_evolution=method == "evolution")
    else:
        ep = s.uniform_epochs or s.e0 + (s.target_depth - (s.start_depth or cfg.model.stages)) * s.e_step
        trainer.train(uniform_space(cfg, s_caps, allowed), ep, tag="random")
        evaluator.invalidate()
        result = random_search(s_caps, cfg.model.stages, evaluator, allowed, trained_epochs=ep)
    if "best" in result and result["best"] is not None:
        result["best_profile"] = profile(cfg.model, result["best"]).as_dict()
    if out_dir is not None and "interrupted_after_step" not in result:
        out = pathlib.Path(out_dir)
        atomic_write_json(out / "result.json", result)
        if result.get("best"):
            atomic_write_text(out / "best_assignment.txt", result["best"] + "\n")
        if method != "inherited":
            save_checkpoint(trainer.state_dict(), out / "supernet.pt")
    return result


def uniform_space(cfg: RunConfig, s, allowed) -> list[LayerAssignment]:
    from pkg_nas.space import enumerate_depth

    ok = allowed or (lambda a: True)
    return [a for a in enumerate_depth(s.target_depth, cfg.model.stages, s.max_per_stage) if ok(a)]
