"""The TLL training loop, readable top to bottom (nanoGPT spirit).

Adam + step decay, batches drawn by a per-step seeded Generator (so ``--resume`` continues
exactly), optional frozen BN, weight EMA, frozen trunk for the first iterations of the temporal
stage, loss on the target frame or on every unrolled step (``temporal.loss_all_steps``), periodic
validation on held-out videos with the official evaluator (``train.val_every``; the best model is
kept as ``best.pt``), CSV + TensorBoard logs, atomic ``last.pt`` checkpoints, torchrun data parallelism.
"""

from __future__ import annotations

import copy
import logging
import math
import pathlib
import time

import numpy as np
import torch

from pkg_detect.config import DetectConfig
from pkg_detect.data.dataset import Sample, build_samples, collate, make_item
from pkg_detect.engine.validate import build_valset, validate
from pkg_detect.losses import tll_loss
from pkg_detect.models import build_model
from pkg_shared.config import dump_yaml, to_dict
from pkg_shared.engine import (
    capture_rng_state,
    dist,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
    seed_everything,
)
from pkg_shared.logging import MetricsLogger, progress

log = logging.getLogger("pkg_detect.train")


def _freeze_bn(model: torch.nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.eval()
            for p in m.parameters():
                p.requires_grad_(False)


def train(cfg: DetectConfig, out: str | pathlib.Path, root: str | pathlib.Path | None = None,
          samples: list[Sample] | None = None, resume: bool = False, device: torch.device | str = "cpu",
          quiet: bool = False, run_log: bool = False) -> dict:
    """Train ``cfg`` into the run folder ``out``; ``run_log`` also logs to ``out/run.log`` (rank 0).

    Inputs are checked (samples, validation videos, checkpoint to initialise from) before anything is
    written to ``out``.
    """
    out = pathlib.Path(out)
    device = torch.device(device)
    info = dist.init_from_env(device)
    device = dist.device_for(info, device)
    seed_everything(cfg.train.seed)
    tc = cfg.train

    # --- data ---------------------------------------------------------------------------------
    if samples is None:
        samples = build_samples(cfg, root or cfg.data.root)
    if not samples:
        from pkg_shared.errors import DataFormatError

        raise DataFormatError(str(root), "no training samples found")
    valset = None
    if tc.val_every > 0 and info.is_main:
        if not (root or cfg.data.root):
            from pkg_shared.errors import ConfigError

            raise ConfigError("train.val_every > 0 needs the dataset root (held-out validation videos)")
        valset = build_valset(cfg, root or cfg.data.root)

    # --- model and optimiser ----------------------------------------------------------------------
    model = build_model(cfg).to(device)
    if tc.init_from:
        init = load_checkpoint(tc.init_from)
        missing, _ = model.load_state_dict(init.get("model", init), strict=False)
        log.info("initialised from %s (%d new tensors)", tc.init_from, len(missing))
    if tc.bn_freeze:
        _freeze_bn(model)
    params = [p for p in model.parameters() if p.requires_grad]
    if tc.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=tc.lr, weight_decay=tc.weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=tc.lr, momentum=0.9, weight_decay=tc.weight_decay)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, list(tc.lr_steps), tc.lr_gamma)
    ema = copy.deepcopy(model).eval() if tc.ema > 0 else None

    step = 0
    best_mr = math.inf  # validation MR^-2 of best.pt
    ckpt_path = out / "last.pt"
    if resume and ckpt_path.is_file():
        ck = load_checkpoint(ckpt_path, map_location=device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        if ema is not None and ck.get("ema"):
            ema.load_state_dict(ck["ema"])
        step = int(ck["step"])
        best_mr = float(ck.get("best_mr", math.inf))
        restore_rng_state(ck["rng"])
        log.info("resumed from %s at step %d", ckpt_path, step)
    net = dist.wrap_model(model, info, device)

    if info.is_main:
        out.mkdir(parents=True, exist_ok=True)
        if run_log:
            from pkg_shared.logging import setup

            setup(out, rank=info.rank)
        dump_yaml(cfg, out / "config.yaml")
        if step == 0 and (out / "metrics.csv").exists():
            (out / "metrics.csv").unlink()  # a fresh run starts a fresh curve
    metrics = MetricsLogger(out, tensorboard=True) if info.is_main else None

    def save() -> None:
        if not info.is_main:
            return
        save_checkpoint({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                         "ema": ema.state_dict() if ema is not None else None, "step": step,
                         "config": to_dict(cfg), "rng": capture_rng_state(), "best_mr": best_mr}, ckpt_path)

    def run_validation() -> None:
        nonlocal best_mr
        if info.is_main:
            r = validate(ema if ema is not None else model, cfg, valset, device)
            metrics.log(step, val_mr=r["mr"])
            log.info("step %d: validation MR^-2 %s = %.4f on %d frames", step, r["setup"], r["mr"], r["frames"])
            if math.isfinite(r["mr"]) and r["mr"] < best_mr:
                best_mr = r["mr"]
                save_checkpoint({"model": model.state_dict(), "ema": ema.state_dict() if ema is not None else None,
                                 "step": step, "config": to_dict(cfg), "val": r}, out / "best.pt")
        dist.barrier(info)

    # --- the loop -------------------------------------------------------------------------------------
    per_rank = max(tc.batch_size // info.world_size, 1)
    bar = progress(total=tc.iterations, initial=step, desc="train", disable=True if quiet else None)
    t0, last = time.time(), {}
    first_loss = None
    while step < tc.iterations:
        rng = np.random.default_rng([tc.seed, step])  # same batch for the same step, resumed or not
        idx = rng.choice(len(samples), size=tc.batch_size, replace=len(samples) < tc.batch_size)
        mine = idx[info.rank * per_rank:(info.rank + 1) * per_rank]
        item_rng = np.random.default_rng([tc.seed, step, info.rank])
        batch = collate([make_item(samples[i], cfg, item_rng) for i in mine])
        batch = {k: v.to(device) for k, v in batch.items()}

        net.train()
        if tc.bn_freeze:
            _freeze_bn(model)
        trunk_frozen = step < tc.freeze_backbone_iters
        for p in model.trunk.parameters():
            p.requires_grad_(not trunk_frozen)
        imgs = batch["image"] if cfg.model.temporal_mode != "none" else batch["image"][:, 0]
        if cfg.temporal.loss_all_steps:
            # every unrolled step predicts its own frame: fold time into the batch for the loss
            outputs = {k: v.flatten(0, 1) for k, v in net(imgs, all_steps=True).items()}
            targets = {k: v.flatten(0, 1) for k, v in batch.items() if k != "image"}
        else:
            outputs, targets = net(imgs), batch
        loss, parts = tll_loss(outputs, targets, cfg.loss)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if ema is not None:
            with torch.no_grad():
                for pe, pm in zip(ema.state_dict().values(), model.state_dict().values()):
                    if pe.dtype.is_floating_point:
                        pe.mul_(tc.ema).add_(pm.detach(), alpha=1 - tc.ema)
                    else:
                        pe.copy_(pm)
        step += 1
        parts = {k: float(dist.all_reduce_mean(torch.tensor(v), info)) for k, v in parts.items()}
        first_loss = parts["loss"] if first_loss is None else first_loss
        last = parts
        bar.update(1)
        if metrics is not None and (step % tc.log_every == 0 or step == tc.iterations):
            metrics.log(step, lr=sched.get_last_lr()[0], **parts)
            if not quiet:
                bar.set_postfix(loss=f"{parts['loss']:.4f}")
        if tc.val_every and (step % tc.val_every == 0 or step == tc.iterations):
            run_validation()
        if step % tc.ckpt_every == 0 or step == tc.iterations:
            save()
    bar.close()
    if metrics is not None:
        metrics.close()
    dist.barrier(info)
    res = {"steps": step, "first_loss": first_loss, "last": last, "seconds": time.time() - t0,
           "checkpoint": str(ckpt_path)}
    if tc.val_every:
        res.update(best_val_mr=best_mr, best_checkpoint=str(out / "best.pt"))
    return res
