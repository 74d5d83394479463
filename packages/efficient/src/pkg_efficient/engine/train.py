"""The training loop (plain PyTorch, readable top to bottom).

SGD with no decay on BN/bias/displacements, warm-up + cosine LR per iteration, label smoothing,
SSL penalty ``lambda * sum |disp|``, per-epoch evaluation, atomic ``last.pt`` checkpoints that
resume exactly (model, optimiser, step, epoch, all RNG states; the sampler order is a function
of (seed, epoch)), CSV + TensorBoard logs, ``torchrun`` data parallelism, optional EMA of the weights
(``train.ema_decay``; evaluated next to the raw weights, saved as ``model_ema.pt``).
"""

from __future__ import annotations

import logging
import pathlib
import time
from collections.abc import Callable

import torch
import torch.distributed as tdist
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler

from pkg_efficient.config import RunConfig
from pkg_efficient.data.loaders import build_dataset, preprocess_of, worker_errors
from pkg_efficient.engine.evaluate import evaluate
from pkg_efficient.engine.modelio import build_from_config, model_spec, probe_input, save_model
from pkg_efficient.engine.optim import build_optimizer, lr_at, penalty_lambda
from pkg_efficient.losses.shift_penalty import proximal_step, shift_penalty
from pkg_efficient.ops.fold import shift_stats
from pkg_shared.config import to_dict
from pkg_shared.engine import (
    capture_rng_state,
    dist,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
    seed_everything,
)
from pkg_shared.errors import ConfigError
from pkg_shared.logging import MetricsLogger, progress

log = logging.getLogger("pkg_efficient.train")


def make_loaders(cfg: RunConfig, info: dist.DistInfo):
    d = cfg.data
    train_set = build_dataset(d.dataset, d.root, "train", augment=True, input_size=d.input_size,
                              imagenet_scale=tuple(d.imagenet_scale), max_samples=d.max_train_samples)
    val_set = build_dataset(d.dataset, d.root, "val", augment=False, input_size=d.input_size,
                            max_samples=d.max_val_samples)
    bs = max(1, d.batch_size // info.world_size)
    return train_set, val_set, bs


def train(cfg: RunConfig, out: pathlib.Path, device: torch.device, resume: bool = False,
          stop_after_epochs: int | None = None, model: nn.Module | None = None,
          on_epoch_end: Callable[[int, nn.Module, dict], dict] | None = None) -> dict:
    """Run (or continue) the recipe; returns the final metrics. ``stop_after_epochs`` interrupts
    the run early as if it had been killed (used by the resume test); ``on_epoch_end(epoch, model, metrics)``
    returns extra numbers to log (e.g. degeneracy during fine-tuning)."""
    info = dist.init_from_env(device)
    device = dist.device_for(info, device)
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seed_everything(cfg.seed + info.rank)
    model = (model if model is not None else build_from_config(cfg.model)).to(device)
    opt = build_optimizer(model, cfg.train)
    ema = (AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(cfg.train.ema_decay), use_buffers=True)
           if cfg.train.ema_decay > 0 else None)
    start_epoch, step, best = 0, 0, 0.0
    ckpt_path = out / "last.pt"
    if resume and ckpt_path.is_file():
        state = load_checkpoint(ckpt_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        start_epoch, step, best = state["epoch"], state["step"], state["best"]
        restore_rng_state(state["rng"])
        log.info("resumed from %s at epoch %d (step %d)", ckpt_path, start_epoch, step)
    ddp_model = dist.wrap_model(model, info, device)

    train_set, val_set, bs = make_loaders(cfg, info)
    if len(train_set) == 0 or len(val_set) == 0:
        raise ConfigError(f"{cfg.data.root}: the {'train' if len(train_set) == 0 else 'val'} split has no images")
    size = int(val_set[0][0].shape[-1])  # what the model will see (CIFAR is 32 whatever data.input_size says)
    probe_input(model, size, f"model {cfg.model.name}",  # wrong input size / too few classes: one line, exit 2
                num_classes=len(getattr(train_set, "classes", [])) or None)
    val_loader = DataLoader(val_set, batch_size=bs, shuffle=False, num_workers=0)
    steps_per_epoch = max(1, -(-len(train_set) // (bs * info.world_size)))
    total = cfg.train.epochs * steps_per_epoch
    metrics = MetricsLogger(out) if info.is_main else None
    crit = nn.CrossEntropyLoss(label_smoothing=cfg.train.label_smoothing)
    result: dict = {}
    for epoch in range(start_epoch, cfg.train.epochs):
        if stop_after_epochs is not None and epoch >= stop_after_epochs:
            break
        gen = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
        sampler = (DistributedSampler(train_set, seed=cfg.seed, drop_last=False) if info.enabled
                   else RandomSampler(train_set, generator=gen))
        if info.enabled:
            sampler.set_epoch(epoch)
        loader = DataLoader(train_set, batch_size=bs, sampler=sampler, num_workers=cfg.data.workers,
                            drop_last=False, persistent_workers=False)
        ddp_model.train()
        t0, seen, loss_sum = time.time(), 0, 0.0
        # worker_errors wraps the progress bar, not the loader: tqdm iterating the DataLoader itself
        # draws from the global RNG differently, and training must stay bit-identical to before
        for x, y in worker_errors(progress(loader, desc=f"epoch {epoch + 1}/{cfg.train.epochs}", leave=False,
                                           disable=None if info.is_main else True)):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            lr = lr_at(step, total, steps_per_epoch, cfg.train)
            for g in opt.param_groups:
                g["lr"] = lr * g.get("lr_mult", 1.0)
            lam = penalty_lambda(step, steps_per_epoch, cfg.train)
            task = crit(ddp_model(x), y)
            pen = shift_penalty(model, cfg.train.penalty_weighting).to(device)
            loss = task + lam * pen
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if cfg.train.proximal and lam > 0:
                proximal_step(model, lr * cfg.train.shift_lr_mult * lam)
            if ema is not None:
                ema.update_parameters(model)
            seen += len(y)
            loss_sum += task.item() * len(y)
            step += 1
            if metrics and step % cfg.train.log_every == 0:
                metrics.log(step, loss=task.item(), penalty=float(pen.detach()), lr=lr)
        train_loss = float(dist.all_reduce_mean(torch.tensor(loss_sum / max(seen, 1)), info))
        result = {"epoch": epoch + 1, "train_loss": train_loss, "epoch_time_s": time.time() - t0}
        if (epoch + 1) % cfg.train.eval_every == 0 or epoch + 1 == cfg.train.epochs:
            result.update(evaluate(model, val_loader, device))
            if ema is not None:
                result.update({f"ema_{k}": v for k, v in evaluate(ema.module, val_loader, device).items()
                               if k in ("top1", "top5")})
        st = shift_stats(model)
        result["shift_sparsity"] = st["shift_sparsity"]
        best = max(best, result.get("top1", 0.0))
        result["best_top1"] = best
        if on_epoch_end is not None:
            result.update(on_epoch_end(epoch + 1, model, dict(result)))
        if info.is_main:
            metrics.log(step, **{k: v for k, v in result.items() if isinstance(v, (int, float))})
            log.info("epoch %d: %s", epoch + 1, ", ".join(f"{k}={v:.4g}" for k, v in result.items()
                                                          if isinstance(v, float)))
            state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch + 1,
                     "step": step, "best": best, "rng": capture_rng_state(), "config": to_dict(cfg)}
            if ema is not None:
                state["ema"] = ema.state_dict()
            save_checkpoint(state, ckpt_path)
        dist.barrier(info)
    if info.enabled:  # DDP keeps replicas identical; check it once at the end (cheap, catches misuse)
        flat = torch.cat([p.detach().double().flatten() for p in model.parameters()]).sum().reshape(1)
        lo, hi = flat.clone(), flat.clone()
        tdist.all_reduce(lo, op=tdist.ReduceOp.MIN)
        tdist.all_reduce(hi, op=tdist.ReduceOp.MAX)
        result["world_size"] = info.world_size
        result["ddp_replica_spread"] = float(hi - lo)
        log.info("world size %d, parameter checksum spread across ranks %.3g", info.world_size, float(hi - lo))
    if info.is_main:
        extra = {"preprocess": preprocess_of(train_set, size)}  # efficient-infer repeats it on the user's image
        save_model(out / "model.pt", model, model_spec(model, cfg.model), extra)  # a fine-tuned compressed model keeps its spec
        if ema is not None:
            save_model(out / "model_ema.pt", ema.module, model_spec(model, cfg.model), extra)
        if metrics:
            metrics.close()
    dist.cleanup(info)
    return result
