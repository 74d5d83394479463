"""The training loop (recognition, and the milestone-1 window classifier for detection).

Read top to bottom: data -> model -> optimiser/schedule -> (resume) -> epochs of
forward/backward/clip/step -> evaluation -> atomic checkpoint. ``torchrun`` works through
``pkg_shared.engine.dist`` (DistributedSampler, DDP, rank-0-only side effects).
"""

from __future__ import annotations

import logging
import math
import pathlib

import torch
from torch.utils.data import DataLoader, DistributedSampler

from pkg_shared.config import dump_yaml, to_dict
from pkg_shared.engine import (
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
    seed_everything,
)
from pkg_shared.engine import dist as pdist
from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_write_json
from pkg_shared.logging import MetricsLogger, progress
from pkg_skeleton.config import RecognitionConfig
from pkg_skeleton.data.dataset import SkeletonDataset, load_split
from pkg_skeleton.engine.predict import clip_scores, predict, task_loss, task_view
from pkg_skeleton.models import build_model

log = logging.getLogger(__name__)


def build_samples(cfg: RecognitionConfig, splits: tuple[str, ...] = ("train", "test")) -> tuple[list, ...]:
    """Samples of each split for the recipe's task (recognition: trimmed sequences; else windows)."""
    if cfg.task != "recognition":
        from pkg_skeleton.engine import detect

        make = {"detection": detect.window_samples, "proposal": detect.proposal_samples,
                "joint": detect.joint_samples}[cfg.task]
        return tuple(make(cfg, s) for s in splits)
    out = []
    for split in splits:
        samples, rep = load_split(cfg.data, split, cfg.model.num_persons)
        log.info("data %s: %s", rep.split, rep.summary())
        out.append(samples)
    return tuple(out)


def _loader(ds, cfg: RecognitionConfig, shuffle: bool, epoch: int, info: pdist.DistInfo) -> DataLoader:
    """Shuffling depends only on (seed, epoch), so a resumed run sees the same batches."""
    if info.enabled:
        sampler = DistributedSampler(ds, num_replicas=info.world_size, rank=info.rank, shuffle=shuffle,
                                     seed=cfg.train.seed)
        sampler.set_epoch(epoch)
        return DataLoader(ds, batch_size=cfg.train.batch_size, sampler=sampler, num_workers=cfg.train.num_workers)
    gen = torch.Generator().manual_seed(cfg.train.seed * 100003 + epoch)
    return DataLoader(ds, batch_size=cfg.train.batch_size, shuffle=shuffle, generator=gen,
                      num_workers=cfg.train.num_workers)


def transfer_weights(model: torch.nn.Module, state: dict) -> int:
    """Copy every tensor whose name and shape match (e.g. a recognition trunk into a detector)."""
    own = model.state_dict()
    match = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    own.update(match)
    model.load_state_dict(own)
    return len(match)


def _schedule(opt, cfg: RecognitionConfig):
    if cfg.train.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.train.epochs)
    return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.train.lr_decay)


def train(cfg: RecognitionConfig, out: str | pathlib.Path, device: torch.device, resume: bool = False,
          samples=None, quiet: bool = False) -> dict:
    """Run the recipe; returns the final summary (also written to ``out/summary.json``)."""
    out = pathlib.Path(out)
    info = pdist.init_from_env(device)
    device = pdist.device_for(info, device)
    seed_everything(cfg.train.seed + info.rank)
    train_s, test_s = samples if samples is not None else build_samples(cfg)
    m, t = cfg.model.num_persons, cfg.model.frames
    train_ds = SkeletonDataset(train_s, cfg.data, t, m, train=True, seed=cfg.train.seed)
    test_ds = SkeletonDataset(test_s, cfg.data, t, m, train=False)
    labels = [lab for _, lab, _ in train_s] + [lab for _, lab, _ in test_s]
    if cfg.task == "joint":
        labels = [int(lab[0]) for lab in labels if lab[0] >= 0]
    if cfg.task != "proposal" and (max(labels) >= cfg.model.num_classes or min(labels) < 0):
        raise DataFormatError(cfg.data.root or "?", f"labels span {min(labels)}..{max(labels)} but "
                              f"model.num_classes is {cfg.model.num_classes}")

    model = build_model(cfg.model).to(device)
    if cfg.train.init_from is not None and not (resume and (out / "last.pt").is_file()):
        n = transfer_weights(model, load_checkpoint(cfg.train.init_from)["model"])
        log.info("initialised %d tensors from %s", n, cfg.train.init_from)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.train.lr, betas=cfg.train.betas,
                           weight_decay=cfg.train.weight_decay)
    sched = _schedule(opt, cfg)
    start_epoch, best = 0, {"top1": -1.0, "epoch": -1}
    last = out / "last.pt"
    if resume and last.is_file():
        ck = load_checkpoint(last)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        restore_rng_state(ck["rng"])
        start_epoch, best = ck["epoch"] + 1, dict(ck["best"])
        log.info("resumed from %s at epoch %d", last, start_epoch)
    elif resume:
        log.warning("--resume: no %s yet; starting from scratch", last)
    net = pdist.wrap_model(model, info, device)

    metrics = MetricsLogger(out, tensorboard=cfg.train.tensorboard) if info.is_main else None
    if info.is_main:
        dump_yaml(cfg, out / "config.yaml")
    summary: dict = {}
    for epoch in range(start_epoch, cfg.train.epochs):
        net.train()
        train_ds.set_epoch(epoch)
        loader = _loader(train_ds, cfg, True, epoch, info)
        tot_loss, tot_correct, tot_n, tot_items = 0.0, 0, 0, 0
        bar = progress(loader, desc=f"epoch {epoch + 1}/{cfg.train.epochs}", leave=False,
                       disable=True if quiet else None)
        for x, motion, y in bar:
            x, y = x.to(device), y.to(device)
            motion = motion.to(device) if motion.numel() else None
            logits = net(x, motion)
            loss = task_loss(logits, y, cfg, epoch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.train.clip_norm > 0:
                torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.train.clip_norm)
            opt.step()
            tot_loss += loss.item() * len(y)
            scores, labs, _ = task_view(logits.detach(), y, cfg)
            tot_correct += int((scores.argmax(1) == labs).sum())
            tot_n += len(labs)
            tot_items += len(y)
        sched.step()
        stats = torch.tensor([tot_loss, tot_correct, tot_n, tot_items], dtype=torch.float64)
        stats = pdist.all_reduce_mean(stats, info) * info.world_size
        row = {"train_loss": stats[0].item() / stats[3].item(), "train_acc": stats[1].item() / max(stats[2].item(), 1),
               "lr": opt.param_groups[0]["lr"]}
        if (epoch + 1) % cfg.train.eval_every == 0 or epoch + 1 == cfg.train.epochs:
            from pkg_skeleton.metrics.recognition import summarise

            out_, ys = predict(pdist.unwrap(net), _loader(test_ds, cfg, False, 0, pdist.DistInfo()), device)
            res = summarise(*task_view(*clip_scores(out_, ys, test_ds.clips), cfg))
            row.update(test_top1=res["top1"], test_top5=res["top5"], test_mean_class=res["mean_class_accuracy"])
            if res["top1"] > best["top1"]:
                best = {"top1": res["top1"], "epoch": epoch}
        if info.is_main:
            metrics.log(epoch + 1, **row)
            if not quiet:
                log.info("epoch %d/%d %s", epoch + 1, cfg.train.epochs,
                         " ".join(f"{k}={v:.4g}" for k, v in row.items()))
            state = {"model": pdist.unwrap(net).state_dict(), "optimizer": opt.state_dict(),
                     "scheduler": sched.state_dict(), "epoch": epoch, "rng": capture_rng_state(),
                     "config": to_dict(cfg), "best": best}
            if "test_top1" in row and best["epoch"] == epoch:
                save_checkpoint(state, out / "best.pt")
            save_checkpoint(state, last)
        summary = {"epoch": epoch + 1, **row, "best_top1": best["top1"], "best_epoch": best["epoch"] + 1,
                   "test_clips": test_ds.clips}
        if not math.isfinite(row["train_loss"]):
            raise FloatingPointError(f"training diverged at epoch {epoch + 1} (loss {row['train_loss']})")
    if info.is_main:
        if metrics is not None:
            metrics.close()
        summary["note"] = "test_top1 is the final epoch; best_top1 is best-on-test (selection on the test set)"
        atomic_write_json(out / "summary.json", summary)
    pdist.cleanup(info)
    return summary
