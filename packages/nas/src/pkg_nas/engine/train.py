"""From-scratch training of one layer assignment: the loop is here, top to bottom.

Checkpoints (``last.pt``) are written atomically at the end of every ``checkpoint_every`` epochs
and hold model, optimiser, epoch, global step and every RNG state, so ``resume=True`` continues
exactly. The shuffling order depends only on (seed, epoch), never on how often a run was resumed.
Under ``torchrun`` each process trains on its DistributedSampler shard; rank 0 logs and saves.
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, DistributedSampler

from pkg_nas.config import RunConfig
from pkg_nas.data.datasets import Splits, build_splits
from pkg_nas.engine.amp import make_amp
from pkg_nas.engine.evaluate import evaluate
from pkg_nas.engine.optim import base_lr, lr_factor, make_optimizer, set_lr
from pkg_nas.models import build_network
from pkg_nas.profile import profile
from pkg_nas.space import LayerAssignment
from pkg_shared.config import to_dict
from pkg_shared.engine import (
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
    seed_everything,
)
from pkg_shared.engine import dist as D
from pkg_shared.logging import MetricsLogger, progress


def _loader(ds, cfg: RunConfig, epoch: int, info: D.DistInfo) -> DataLoader:
    g = torch.Generator().manual_seed(cfg.train.seed * 100_003 + epoch)
    if info.enabled:
        sampler = DistributedSampler(ds, info.world_size, info.rank, shuffle=True, seed=cfg.train.seed)
        sampler.set_epoch(epoch)
        return DataLoader(ds, batch_size=cfg.data.batch_size, sampler=sampler, num_workers=cfg.data.workers,
                          drop_last=False)
    return DataLoader(ds, batch_size=cfg.data.batch_size, shuffle=True, generator=g,
                      num_workers=cfg.data.workers, drop_last=False)


def train(cfg: RunConfig, out_dir: str | pathlib.Path | None = None, *, device: torch.device | str = "cpu",
          resume: bool = False, splits: Splits | None = None, log: Callable[[str], None] = print,
          stop_after_epoch: int | None = None, evaluate_test: bool = True) -> dict:
    """Train ``cfg.assignment`` with ``cfg.train``; returns final metrics (percent) and timings."""
    t0, c0 = time.time(), time.process_time()
    device = torch.device(device)
    info = D.init_from_env(device)
    device = D.device_for(info, device)
    a = LayerAssignment.parse(cfg.assignment)
    seed_everything(cfg.train.seed + info.rank)
    splits = splits or build_splits(cfg.data, cfg.model.input_size)
    model = build_network(cfg.model, a).to(device)
    opt = make_optimizer(model, cfg.train, cfg.data.batch_size * info.world_size)
    lr0 = base_lr(cfg.train, cfg.data.batch_size * info.world_size)
    amp = make_amp(cfg.train.amp, device, cfg.train.amp_dtype)
    scaler = amp.scaler
    out = pathlib.Path(out_dir) if out_dir is not None else None
    ckpt_path = out / "last.pt" if out is not None else None
    start_epoch, step = 0, 0
    if resume and ckpt_path is not None and ckpt_path.is_file():
        state = load_checkpoint(ckpt_path, map_location=device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if state.get("scaler"):  # empty when the run was saved without float16 scaling
            scaler.load_state_dict(state["scaler"])
        start_epoch, step = int(state["epoch"]) + 1, int(state["step"])
        restore_rng_state(state["rng"])
        log(f"resumed from {ckpt_path} at epoch {start_epoch}")
    net = D.wrap_model(model, info, device)
    metrics = MetricsLogger(out) if (out is not None and info.is_main) else None
    n_epochs = cfg.train.epochs
    last_loss = float("nan")
    for epoch in range(start_epoch, n_epochs):
        net.train()
        loader = _loader(splits.train, cfg, epoch, info)
        n_batches = len(loader) if cfg.train.max_steps_per_epoch is None else min(len(loader), cfg.train.max_steps_per_epoch)
        loss_sum, seen, correct = 0.0, 0, 0
        bar = progress(total=n_batches, desc=f"epoch {epoch + 1}/{n_epochs}", leave=False, disable=None if info.is_main else True)
        for i, (x, y) in enumerate(loader):
            if i >= n_batches:
                break
            set_lr(opt, lr0 * lr_factor(cfg.train, epoch + i / n_batches, n_epochs))
            x, y = x.to(device), y.to(device)
            with amp.autocast():
                logits = net(x)
                loss = F.cross_entropy(logits, y, label_smoothing=cfg.train.label_smoothing)
            opt.zero_grad(set_to_none=True)
            amp.step(loss, opt)
            step += 1
            loss_sum += loss.item() * len(y)
            seen += len(y)
            correct += int((logits.argmax(1) == y).sum())
            bar.update(1)
        bar.close()
        last_loss = D.all_reduce_mean(torch.tensor(loss_sum / max(seen, 1)), info).item()
        train_top1 = 100.0 * correct / max(seen, 1)
        if info.is_main:
            log(f"epoch {epoch + 1}/{n_epochs}: train loss {last_loss:.4f} top-1 {train_top1:.2f}% lr {opt.param_groups[0]['lr']:.4g}")
            if metrics is not None:
                metrics.log(step, epoch=epoch + 1, train_loss=last_loss, train_top1=train_top1,
                            lr=opt.param_groups[0]["lr"])
            if ckpt_path is not None and cfg.train.checkpoint_every > 0 and (
                (epoch + 1) % cfg.train.checkpoint_every == 0 or epoch + 1 == n_epochs
            ):
                state = make_state(model, opt, epoch, step, cfg, splits)
                state["scaler"] = scaler.state_dict()
                save_checkpoint(state, ckpt_path)
        D.barrier(info)
        if stop_after_epoch is not None and epoch + 1 >= stop_after_epoch:
            return {"stopped_at_epoch": epoch + 1}
    result = {"assignment": str(a), "depth": a.depth, "final_train_loss": last_loss,
              "params": profile(cfg.model, a).params, "macs": profile(cfg.model, a).macs}
    if info.is_main:
        bs = cfg.data.eval_batch_size
        val = evaluate(model, splits.val, device, bs) if len(splits.val) else {"top1": float("nan"), "top5": float("nan")}
        result.update(top1_val=val["top1"], top5_val=val["top5"])
        if evaluate_test:
            test = evaluate(model, splits.test, device, bs)
            result.update(top1_test=test["top1"], top5_test=test["top5"], test_loss=test["loss"])
        if metrics is not None:
            metrics.log(step, **{k: v for k, v in result.items() if k.startswith(("top1", "top5"))})
            metrics.close()
    result["wall_time_s"] = time.time() - t0
    result["cpu_time_s"] = time.process_time() - c0  # all threads of this process
    return result


def make_state(model, opt, epoch: int, step: int, cfg: RunConfig, splits: Splits) -> dict:
    return {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch, "step": step,
            "rng": capture_rng_state(), "config": to_dict(cfg), "class_names": list(splits.class_names)}


def load_model(ckpt: str | pathlib.Path, device: torch.device | str = "cpu"):
    """(model in eval mode, RunConfig, class names) from a ``nas-train`` checkpoint."""
    from pkg_shared.config import from_dict

    state = load_checkpoint(ckpt, map_location=device)
    if "config" not in state or "model" not in state:
        from pkg_shared.errors import DataFormatError

        raise DataFormatError(ckpt, "not a nas-train checkpoint (no 'config'/'model' entries)")
    cfg = from_dict(RunConfig, state["config"])
    model = build_network(cfg.model, cfg.assignment).to(device)
    model.load_state_dict(state["model"])
    model.eval()
    return model, cfg, list(state.get("class_names", []))
