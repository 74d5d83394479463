"""The training loop, readable top to bottom (spec 5-6).

Iteration based: each step draws clip indices from the stateful balanced sampler, decodes them
(thread pool), mixes pairs in phase A (mix-training / mixup), fine-tunes un-mixed at a lower
learning rate in phase B, and every ``eval_every`` steps evaluates mAP / mAUC / d'. The phase is a
function of the step counter, and the sampler, mixing generator and all RNG states are in the
checkpoint, so ``resume`` continues exactly. Under ``torchrun`` each rank draws its own stream
(seed + rank) and rank 0 alone writes logs and checkpoints.
"""

from __future__ import annotations

import logging
import pathlib
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from pkg_audio.config import AudioConfig
from pkg_audio.data.audioset import ClassIndex
from pkg_audio.data.clips import ClipSet, build_split, load_classes
from pkg_audio.data.manifest import read_id_list
from pkg_audio.data.mixing import mix_batch, phase
from pkg_audio.data.samplers import SAMPLERS
from pkg_audio.engine.checkpoints import eval_checkpoints
from pkg_audio.engine.evaluate import evaluate
from pkg_audio.engine.runtime import autocast, check_amp, check_sync_bn, convert_sync_bn, make_scaler
from pkg_audio.losses import tagging_loss
from pkg_audio.metrics import fmt
from pkg_audio.models import build_model
from pkg_shared.config import dump_yaml, to_dict
from pkg_shared.engine import (
    capture_rng_state,
    count_params,
    dist,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
    seed_everything,
)
from pkg_shared.errors import ConfigError, DataFormatError
from pkg_shared.logging import MetricsLogger, progress, setup

log = logging.getLogger("pkg_audio.train")


def load_batch(clips: ClipSet, idx: list[int], seed: int, step: int, pool: ThreadPoolExecutor,
               random_crop: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode clips; random crops use a generator derived from (seed, step, slot) -> stateless, resumable."""
    def one(slot_i):
        slot, i = slot_i
        rng = np.random.default_rng([seed, step, slot]) if random_crop else None
        return clips.load(i, rng)

    waves = np.stack(list(pool.map(one, enumerate(idx))))
    return torch.from_numpy(waves), torch.from_numpy(clips.targets[idx])


def make_checkpoint(model, opt, step, best, cfg, classes, sampler, mix_gen, history, scaler=None) -> dict:
    state = {
        "model": dist.unwrap(model).state_dict(),
        "optimizer": opt.state_dict(),
        "step": step,
        "best_map": best,
        "config": to_dict(cfg),
        "classes": {"mids": list(classes.mids), "names": list(classes.names)},
        "sampler": sampler.state_dict(),
        "mix_gen": mix_gen.get_state(),
        "rng": capture_rng_state(),
        "history": history,
    }
    if scaler is not None:
        state["scaler"] = scaler.state_dict()
    return state


def model_checkpoint(model, cfg, classes, step: int, metrics: dict) -> dict:
    """Weights + config + classes: what best.pt and the per-evaluation ckpt_step<N>.pt hold."""
    return {"model": dist.unwrap(model).state_dict(), "config": to_dict(cfg), "step": step,
            "classes": {"mids": list(classes.mids), "names": list(classes.names)}, "metrics": metrics}


def save_eval_checkpoint(state: dict, out_dir: pathlib.Path, step: int, keep: int) -> None:
    """Write ckpt_step<N>.pt and delete the oldest beyond ``keep`` (-1 keeps all)."""
    if keep == 0:
        return
    save_checkpoint(state, out_dir / f"ckpt_step{step:07d}.pt")
    if keep > 0:
        for old in eval_checkpoints(out_dir)[:-keep]:
            old.unlink(missing_ok=True)


def black_listed(cfg: AudioConfig, clips: ClipSet) -> list[int]:
    if cfg.data.black_list_csv is None:
        return []
    ids = set(read_id_list(cfg.data.black_list_csv))
    ytids = {i.split(",")[0].strip() for i in ids} | ids
    return [n for n, c in enumerate(clips.ids) if c in ytids or c[:11] in ytids]


def train(cfg: AudioConfig, out_dir: str | pathlib.Path, *, device: str | torch.device = "cpu",
          resume: bool = False, stop_after: int | None = None, echo=None) -> dict:
    """Train to ``cfg.train.iterations`` (or stop after ``stop_after`` more steps); returns a summary.

    ``echo`` (callable taking a string) receives short progress lines (the demo prints them).
    """
    out_dir = pathlib.Path(out_dir)
    device = torch.device(device)
    info = dist.init_from_env(device)
    device = dist.device_for(info, device)
    tc, mc = cfg.train, cfg.mix
    check_amp(tc.amp, device)
    check_sync_bn(tc.sync_bn, info, device)
    seed_everything(tc.seed + info.rank)

    # ---- data
    classes: ClassIndex = load_classes(cfg.data)
    if cfg.model.num_classes != len(classes):
        raise ConfigError(f"model.num_classes={cfg.model.num_classes} but {cfg.data.labels_csv} lists {len(classes)} classes")
    train_set = build_split(cfg.data, classes, "train")
    eval_set = build_split(cfg.data, classes, "eval")
    monitor_set = None
    if tc.monitor and info.is_main and cfg.data.train_hdf5 is None and cfg.data.train_manifest is None:
        monitor_set = build_split(cfg.data, classes, "monitor")
    try:
        sampler = SAMPLERS[cfg.data.sampler](train_set.targets, seed=tc.seed + info.rank,
                                             exclude=black_listed(cfg, train_set))
    except ValueError as exc:  # e.g. every clip black-listed
        raise DataFormatError(train_set.source, f"cannot sample training clips: {exc}") from exc
    mix_gen = torch.Generator().manual_seed(tc.seed + 1000 * info.rank)
    last = out_dir / "last.pt"
    if resume and not last.is_file():
        raise ConfigError(f"--resume: no checkpoint {last}")
    if info.is_main:  # only now, after every input was read: a bad input leaves no run directory behind
        out_dir.mkdir(parents=True, exist_ok=True)
        setup(out_dir)
        dump_yaml(cfg, out_dir / "config.yaml")
        log.info("train clips: %d found of %d listed; eval clips: %d of %d", len(train_set), train_set.listed,
                 len(eval_set), eval_set.listed)

    # ---- model and optimiser
    model = convert_sync_bn(build_model(cfg.model), tc.sync_bn, info, device).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr, betas=tuple(tc.betas), eps=tc.eps,
                           weight_decay=tc.weight_decay, amsgrad=tc.amsgrad)
    scaler = make_scaler(tc.amp, device)
    step, best, history = 0, -1.0, []
    if resume:
        ck = load_checkpoint(last)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sampler.load_state_dict(ck["sampler"])
        mix_gen.set_state(ck["mix_gen"])
        restore_rng_state(ck["rng"])
        if scaler is not None and "scaler" in ck:
            scaler.load_state_dict(ck["scaler"])
        step, best, history = int(ck["step"]), float(ck["best_map"]), list(ck.get("history", []))
        if info.is_main:
            log.info("resumed from %s at step %d", last, step)
    model = dist.wrap_model(model, info, device)
    metrics_log = MetricsLogger(out_dir, tensorboard=tc.tensorboard) if info.is_main else None
    if info.is_main:
        log.info("model %s: %.2f M parameters", cfg.model.variant, count_params(model) / 1e6)

    total = tc.iterations
    end = total if stop_after is None else min(total, step + stop_after)
    pool = ThreadPoolExecutor(max(1, cfg.data.load_threads))
    bar = progress(total=total, initial=step, desc="train", unit="it", disable=None if info.is_main else True)
    t0, losses = time.time(), []
    model.train()
    while step < end:
        ph = phase(step, total, mc)
        lr = tc.lr * (mc.finetune_lr_scale if ph == "finetune" else 1.0)
        for g in opt.param_groups:
            g["lr"] = lr
        mixing = ph == "mix"
        idx = sampler.next(2 * tc.batch_size if mixing else tc.batch_size)
        x, y = load_batch(train_set, idx, tc.seed, step, pool, cfg.data.random_crop_seconds > 0)
        if mixing:
            x, y, _ = mix_batch(x, y, mc, mix_gen)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)

        with autocast(tc.amp, device):
            out = model(x)
        loss = tagging_loss(out, y, tc.aux_loss_weight)  # in fp32 (the loss casts its inputs)
        opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        step += 1
        losses.append(float(loss.detach()))
        bar.update(1)

        if info.is_main and (step % tc.log_every == 0 or step == end):
            mean_loss = float(np.mean(losses))
            metrics_log.log(step, loss=mean_loss, lr=lr, clips_per_s=len(losses) * len(idx) / max(time.time() - t0, 1e-9))
            bar.set_postfix(loss=f"{mean_loss:.4f}", phase=ph)
            if echo:
                echo(f"step {step}/{total} phase={ph} loss={mean_loss:.4f}")
            losses, t0 = [], time.time()
        do_eval = step % tc.eval_every == 0 or step == total
        if info.is_main and do_eval:
            res = evaluate(dist.unwrap(model), eval_set, classes, batch_size=cfg.eval.batch_size, device=device,
                           strict_sklearn=cfg.eval.strict_sklearn, out_dir=out_dir, prefix="eval",
                           threads=cfg.data.load_threads)
            row = {"step": step, "phase": ph, "mAP": res["mAP"], "mAUC": res["mAUC"], "dprime": res["dprime"]}
            metrics_log.log(step, eval_mAP=res["mAP"] or 0.0, eval_mAUC=res["mAUC"] or 0.0)
            if monitor_set is not None:  # training-fit monitor ("balanced mAP"), capped in size
                mon = evaluate(dist.unwrap(model), monitor_set, classes, batch_size=cfg.eval.batch_size, device=device,
                               threads=cfg.data.load_threads, limit=tc.max_monitor_clips)
                row["balanced_mAP"] = mon["mAP"]
                metrics_log.log(step, balanced_mAP=mon["mAP"] or 0.0)
            history.append(row)
            metrics = {k: v for k, v in row.items() if k != "phase"}
            save_eval_checkpoint(model_checkpoint(model, cfg, classes, step, metrics), out_dir, step,
                                 tc.keep_eval_checkpoints)
            if echo:
                echo(f"eval step {step}: mAP={fmt(res['mAP'])} mAUC={fmt(res['mAUC'])}")
            # the reported model: best eval mAP of the fine-tuning phase (or of any phase without one)
            counts = ph == "finetune" or not (mc.mixing != "none" and mc.finetune)
            if counts and (res["mAP"] or 0.0) > best:
                best = res["mAP"] or 0.0
                save_checkpoint(model_checkpoint(model, cfg, classes, step, metrics), out_dir / "best.pt")
        if info.is_main and (step % tc.checkpoint_every == 0 or step == end):
            save_checkpoint(make_checkpoint(model, opt, step, best, cfg, classes, sampler, mix_gen, history, scaler), last)
    bar.close()
    pool.shutdown()
    if metrics_log is not None:
        metrics_log.close()
    dist.barrier(info)
    return {"step": step, "best_map": best, "history": history, "train_clips": len(train_set),
            "eval_clips": len(eval_set)}
