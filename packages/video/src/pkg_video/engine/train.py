"""The training loop, top to bottom: data, model, SGD, step schedule, eval, atomic checkpoints, resume.

Launch on several GPUs with ``torchrun --nproc-per-node N -m pkg_video.cli.train --config ...``.
Resume is exact, also in the middle of an epoch: the shuffling order comes from
``pkg_shared.engine.ResumableSampler`` (seed + epoch only), the augmentation draw from
(seed, epoch, index), the loader's worker seeds from its own generator (so building a loader does
not move the global RNG), and the checkpoint carries model, optimiser, scheduler, scaler, all RNG
states, the number of samples of the epoch already consumed and the epoch's running statistics.
``train.checkpoint_every_steps`` writes ``last.pt`` inside epochs; ``train.max_steps`` stops a run
after that many optimiser steps (with a checkpoint), e.g. for a job with a time limit.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import pathlib

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from pkg_shared.config import dump_yaml, to_dict
from pkg_shared.engine import (
    ResumableSampler,
    capture_rng_state,
    dist,
    restore_rng_state,
    save_checkpoint,
    seed_everything,
)
from pkg_shared.errors import ConfigError, DataFormatError
from pkg_shared.fsutil import atomic_write_json
from pkg_shared.logging import MetricsLogger, progress
from pkg_video.config import Config, EvalConfig
from pkg_video.data.dataset import ClipDataset, build_samples, check_classes
from pkg_video.engine.evaluate import evaluate
from pkg_video.models import build_model

log = logging.getLogger(__name__)
COEF_NAMES = ("alpha", "fc1.weight", "fc2.weight")
RESUME_KEYS = ("model", "optimizer", "scheduler", "scaler", "epoch", "step", "best_top1", "rng", "config")


def make_optimizer(model: nn.Module, cfg: Config, world_size: int) -> torch.optim.SGD:
    """SGD with the linear scaling rule; CoST coefficients decayed unless ``decay_coefficients`` is off."""
    t = cfg.train
    lr = t.base_lr * t.batch_size * world_size / t.base_batch
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        is_coef = ".conv2.conv." in name and name.endswith(COEF_NAMES)
        (no_decay if (is_coef and not t.decay_coefficients) else decay).append(p)
    groups = [{"params": decay, "weight_decay": t.weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return torch.optim.SGD(groups, lr=lr, momentum=t.momentum)


def train(cfg: Config, out_dir: str | pathlib.Path, *, device: torch.device, resume: str | None = None,
          num_workers: int | None = None) -> dict:
    """Train ``cfg``; writes ``last.pt`` every epoch, ``best.pt`` on the best 1-clip top-1, metrics.csv."""
    out = pathlib.Path(out_dir)
    info = dist.init_from_env(device)
    device = dist.device_for(info, device)
    t = cfg.train
    seed_everything(t.seed + info.rank)
    torch.backends.cudnn.deterministic = t.cudnn_deterministic  # the official runs' setting (MMAction2 --deterministic)
    torch.backends.cudnn.benchmark = not t.cudnn_deterministic
    workers = cfg.data.num_workers if num_workers is None else num_workers

    train_samples, classes, train_report = build_samples(cfg.data, cfg.data.train_split)
    val_samples, val_classes, val_report = build_samples(cfg.data, cfg.data.val_split)
    if not train_samples:
        raise DataFormatError(cfg.data.root, "no training videos found (check data.root and the annotations)")
    unlabeled = sum(s.label < 0 for s in train_samples)
    if unlabeled:
        raise DataFormatError(train_report.get("csv") or train_report.get("list") or cfg.data.root,
                              f"{unlabeled} of {len(train_samples)} training videos have no label "
                              "(no 'label' column? the test CSV cannot be used for training)")
    if len(classes) != cfg.model.num_classes:
        raise ConfigError(f"model.num_classes is {cfg.model.num_classes} but the training set has "
                          f"{len(classes)} classes; set --set model.num_classes={len(classes)}")
    check_classes(val_samples, val_classes, classes, val_report.get("csv") or val_report.get("list") or cfg.data.root)
    model = build_model(cfg.model).to(device)
    ddp_model = dist.wrap_model(model, info, device)
    optimizer = make_optimizer(model, cfg, info.world_size)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=t.lr_steps, gamma=t.lr_gamma)
    scaler = torch.amp.GradScaler(device.type, enabled=t.amp and device.type == "cuda")

    start_epoch, best, step, position, stats0 = 0, -1.0, 0, 0, [0.0, 0, 0]
    if resume:
        from pkg_video.engine.checkpoint import read_checkpoint

        ck = read_checkpoint(resume)
        if not isinstance(ck, dict):
            raise DataFormatError(resume, "not a pkg-video training checkpoint")
        lacking = [k for k in RESUME_KEYS if k not in ck]
        if lacking:
            raise DataFormatError(resume, f"holds no training state ({', '.join(lacking)} missing; e.g. written by "
                                  "video-import-mmaction): --resume needs OUT/last.pt of a video-train run")
        if ck.get("config", {}).get("model") != to_dict(cfg.model):
            raise ConfigError(f"{resume}: checkpoint was trained with a different model config")
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        scheduler.load_state_dict(ck["scheduler"])
        scaler.load_state_dict(ck["scaler"])
        start_epoch, best, step = ck["epoch"], ck["best_top1"], ck["step"]
        sampler_state = ck.get("sampler", {"epoch": start_epoch, "position": 0})
        if sampler_state["epoch"] == start_epoch:
            position = int(sampler_state["position"])
            stats0 = list(ck.get("epoch_stats", stats0))
            saved = (sampler_state.get("world_size", info.world_size), sampler_state.get("batch_size", t.batch_size))
            if position and saved != (info.world_size, t.batch_size):
                log.warning("resuming inside an epoch with %d processes x batch %d (checkpoint: %d x %d): the rest "
                            "of this epoch is not the same sample order as an uninterrupted run",
                            info.world_size, t.batch_size, *saved)
        restore_rng_state(ck["rng"])
        log.info("resumed from %s at epoch %d, sample %d of the epoch (step %d)", resume, start_epoch, position, step)

    if info.is_main:
        out.mkdir(parents=True, exist_ok=True)
        dump_yaml(cfg, out / "config.yaml")
        atomic_write_json(out / "data_report.json", {"train": train_report, "val": val_report, "classes": classes})
        log.info("train videos %d (of %d rows), val videos %d, classes %d", len(train_samples),
                 train_report.get("rows", 0), len(val_samples), len(classes))
    logger = MetricsLogger(out, tensorboard=t.tensorboard) if info.is_main else None
    if info.is_main and t.tensorboard and importlib.util.find_spec("tensorboard") is None:
        log.info("TensorBoard is not installed: metrics go to %s only (pip install tensorboard, or pip install './packages/video[tensorboard]', "
                 "or train.tensorboard=false to silence this)", out / "metrics.csv")

    ds = ClipDataset(train_samples, cfg.data, "train", seed=t.seed)
    sampler = ResumableSampler(len(ds), shuffle=True, seed=t.seed, rank=info.rank, world_size=info.world_size)
    history: list[dict] = []

    def state(epoch_done: int, epoch_now: int, consumed: int, stats: list) -> dict:
        """Everything needed to continue exactly; ``consumed`` samples of epoch ``epoch_now`` are done."""
        return {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict(), "epoch": epoch_done,
                 "step": step, "best_top1": best, "rng": capture_rng_state(), "config": to_dict(cfg),
                 "classes": list(classes), "sampler": {"epoch": epoch_now, "position": consumed, "seed": t.seed,
                                                      "world_size": info.world_size, "batch_size": t.batch_size},
                 "epoch_stats": [float(stats[0]), int(stats[1]), int(stats[2])]}

    for epoch in range(start_epoch, t.epochs):
        ds.set_epoch(epoch)
        sampler.set_epoch(epoch)
        skip = position if epoch == start_epoch else 0
        sampler.position = skip  # resume inside the epoch: the same order, minus what was consumed
        loader = DataLoader(ds, batch_size=t.batch_size, sampler=sampler, num_workers=workers, drop_last=False,
                            pin_memory=device.type == "cuda",
                            generator=torch.Generator().manual_seed(t.seed * 100003 + epoch))
        ddp_model.train()
        per_epoch = -(-(len(sampler) + skip) // t.batch_size)
        n_steps = per_epoch if t.max_steps_per_epoch is None else min(per_epoch, t.max_steps_per_epoch)
        done = skip // t.batch_size
        bar = progress(total=n_steps, initial=done, desc=f"epoch {epoch + 1}/{t.epochs}",
                       disable=None if info.is_main else True)
        loss_sum, correct, seen = stats0 if skip else (0.0, 0, 0)
        consumed = skip
        stopped = False
        for it, batch in enumerate(loader, start=done):
            if it >= n_steps:
                break
            x = batch["video"].to(device, non_blocking=True)
            y = batch["label"].to(device)
            with torch.autocast(device.type, enabled=t.amp and device.type == "cuda"):
                logits = ddp_model(x)
                loss = F.cross_entropy(logits, y)
            if not math.isfinite(loss.item()):
                raise FloatingPointError(f"loss is {loss.item()} at epoch {epoch + 1}, step {it}")
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if t.grad_clip:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            step += 1
            consumed += len(y)
            loss_sum += loss.item() * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
            if logger:
                logger.log(step, loss=loss.item(), lr=optimizer.param_groups[0]["lr"])
            bar.set_postfix(loss=f"{loss.item():.3f}")
            bar.update()
            last_step = it + 1 >= n_steps
            stopped = t.max_steps is not None and step >= t.max_steps and not last_step
            every = t.checkpoint_every_steps
            if info.is_main and not last_step and (stopped or (every and step % every == 0)):
                save_checkpoint(state(epoch, epoch, consumed, [loss_sum, correct, seen]), out / "last.pt")
            if stopped:
                break
        bar.close()
        if stopped:
            log.info("stopped after step %d (train.max_steps) inside epoch %d; continue with --resume %s",
                     step, epoch + 1, out / "last.pt")
            break
        scheduler.step()
        stats = dist.all_reduce_mean(torch.tensor([loss_sum / max(seen, 1), correct / max(seen, 1)]), info)
        row = {"epoch": epoch + 1, "train_loss": float(stats[0]), "train_acc": float(stats[1])}
        last_epoch = epoch + 1 == t.epochs
        if val_samples and info.is_main and ((epoch + 1) % t.eval_every == 0 or last_epoch):
            ev = evaluate(model, val_samples, cfg.data, EvalConfig(views="1"), len(classes), device,
                          num_workers=workers, desc="val 1-clip")["result"]
            row.update(val_top1=ev["top1"], val_top5=ev["top5"])
        if info.is_main:
            logger.log(step, **{k: v for k, v in row.items() if k != "epoch"}, epoch=epoch + 1)
            log.info("epoch %d: %s", epoch + 1, ", ".join(f"{k}={v:.4f}" for k, v in row.items() if k != "epoch"))
            improved = row.get("val_top1", -1.0) > best
            best = max(best, row.get("val_top1", -1.0))
            end_state = state(epoch + 1, epoch + 1, 0, [0.0, 0, 0])
            save_checkpoint(end_state, out / "last.pt")
            if improved:
                save_checkpoint(end_state, out / "best.pt")
        history.append(row)
        dist.barrier(info)
        if t.max_steps is not None and step >= t.max_steps:
            break
    if logger:
        logger.close()
    dist.cleanup(info)
    return {"history": history, "best_val_top1": best, "classes": list(classes), "out": str(out),
            "val_videos": len(val_samples)}
