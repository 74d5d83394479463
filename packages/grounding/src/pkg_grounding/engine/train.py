"""The training loop, readable top to bottom (nanoGPT style). Resume continues exactly.

Launch on several processes with ``torchrun --nproc-per-node N -m pkg_grounding.cli.train ...``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import pathlib
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler

from pkg_grounding.config import GroundingConfig
from pkg_grounding.data.dataset import Features, GroundingDataset, collate, read_split
from pkg_grounding.data.didemo import MOMENT_INDEX
from pkg_grounding.data.vocab import Vocab, read_glove
from pkg_grounding.engine.evaluate import headline, predict, score_predictions
from pkg_grounding.losses import asst_loss, mcn_ranking_loss
from pkg_grounding.models import build_model
from pkg_shared.config import dump_yaml, to_dict
from pkg_shared.engine import (
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
    seed_everything,
)
from pkg_shared.engine import dist as D
from pkg_shared.errors import ConfigError, DataFormatError
from pkg_shared.fsutil import atomic_write_json
from pkg_shared.logging import MetricsLogger, progress

log = logging.getLogger("pkg_grounding.train")
# (a, b) chunk pair -> index in the MCN moment order (-1 for a > b)
MOMENT_TABLE = torch.full((6, 6), -1, dtype=torch.long)
for (_a, _b), _i in MOMENT_INDEX.items():
    MOMENT_TABLE[_a, _b] = _i


def prepare_data(cfg: GroundingConfig):
    """Features, train/val queries (missing features reported), vocabulary."""
    feats = Features(cfg.data)
    train_q, rep = read_split(cfg.data, cfg.data.train_split)
    train_q = feats.filter(train_q, rep)
    if rep.missing_features:
        log.warning("train: %d video(s) without features skipped (e.g. %s)", len(rep.missing_features),
                    rep.missing_features[0])
    val_split = cfg.data.val_split or ("val" if cfg.data.val_fraction > 0 or cfg.data.dataset == "didemo" else "")
    val_q: list = []
    if val_split:
        try:
            val_q, vrep = read_split(cfg.data, val_split)
            val_q = feats.filter(val_q, vrep)
        except DataFormatError as exc:
            if cfg.data.dataset != "didemo" or "not found" not in str(exc):
                raise
            log.warning("no validation split (%s); selecting the last epoch", exc)
    if not train_q:
        raise DataFormatError(cfg.data.root, "no training query has features")
    vocab = Vocab.load(cfg.data.vocab) if cfg.data.vocab else Vocab.build(q.sentence for q in train_q)
    return feats, train_q, val_q, vocab


def build(cfg: GroundingConfig, feats: Features, vocab: Vocab) -> tuple[torch.nn.Module, GroundingConfig]:
    """The model with the data-dependent sizes filled in (video_dim, vocab_size) and GloVe loaded."""
    mcfg = dataclasses.replace(cfg.model, video_dim=feats.dim(), vocab_size=len(vocab))
    cfg = dataclasses.replace(cfg, model=mcfg)
    model = build_model(mcfg)
    if cfg.data.glove:
        mat, found = read_glove(cfg.data.glove, vocab, mcfg.word_dim)
        embed = model.words.embed if hasattr(model, "words") else model.embed
        embed.weight.data.copy_(torch.from_numpy(mat))
        log.info("GloVe: %d of %d words found", found, len(vocab))
    return model, cfg


def train(cfg: GroundingConfig, out_dir: str | pathlib.Path, device: torch.device, resume: bool = False) -> dict:
    out_dir = pathlib.Path(out_dir)
    info = D.init_from_env(device)
    device = D.device_for(info, device)
    seed_everything(cfg.train.seed + info.rank)
    use_ranking = cfg.model.name == "mcn"
    if use_ranking and cfg.data.dataset != "didemo":
        raise ConfigError("model.name=mcn (the MCN baseline) scores the 21 DiDeMo moments: use data.dataset=didemo")
    if cfg.loss.kind == "mcn_ranking" and not use_ranking:
        raise ConfigError("loss.kind=mcn_ranking needs model.name=mcn")
    feats, train_q, val_q, vocab = prepare_data(cfg)
    model, cfg = build(cfg, feats, vocab)
    model.to(device)
    if info.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        dump_yaml(cfg, out_dir / "config.yaml")
        vocab.save(out_dir / "vocab.txt")
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.Adam(params, lr=cfg.train.lr, betas=tuple(cfg.train.betas), weight_decay=cfg.train.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(optim, mode="max", factor=cfg.train.plateau_factor,
                                                       patience=cfg.train.plateau_patience)
    start_epoch, step, best, stale = 0, 0, -math.inf, 0
    last = out_dir / "last.pt"
    if resume:
        if not last.is_file():
            raise DataFormatError(last, "no checkpoint to resume from")
        ck = load_checkpoint(last)
        if ck["vocab"] != vocab.itos:
            raise ConfigError(f"{last}: the checkpoint's vocabulary differs from this data's")
        model.load_state_dict(ck["model"])
        optim.load_state_dict(ck["optim"])
        sched.load_state_dict(ck["sched"])
        start_epoch, step, best, stale = ck["epoch"], ck["step"], ck["best"], ck["stale"]
        restore_rng_state(ck["rng"])
        log.info("resumed from %s at epoch %d, step %d", last, start_epoch, step)
    net = D.wrap_model(model, info, device)
    ds = GroundingDataset(train_q, feats, vocab, cfg.data, training=True, seed=cfg.train.seed)
    sampler = DistributedSampler(ds, info.world_size, info.rank, shuffle=True, seed=cfg.train.seed) \
        if info.enabled else None
    metrics_log = MetricsLogger(out_dir) if info.is_main else None
    history: list[dict] = []

    def checkpoint(epoch: int, path: pathlib.Path) -> None:
        save_checkpoint({"model": model.state_dict(), "optim": optim.state_dict(), "sched": sched.state_dict(),
                         "epoch": epoch, "step": step, "best": best, "stale": stale, "rng": capture_rng_state(),
                         "config": to_dict(cfg), "vocab": vocab.itos}, path)

    for epoch in range(start_epoch, cfg.train.epochs):
        # Per-epoch seeding of the data order makes a resumed run see the same batches.
        gen = torch.Generator().manual_seed(cfg.train.seed * 1000 + epoch)
        ds.rng.seed(cfg.train.seed * 1000 + epoch)
        if sampler is not None:
            sampler.set_epoch(epoch)
        loader = DataLoader(ds, batch_size=cfg.train.batch_size, shuffle=sampler is None, sampler=sampler,
                            generator=gen, collate_fn=collate, num_workers=cfg.train.num_workers, drop_last=False)
        net.train()
        t0, losses = time.time(), []
        bar = progress(loader, desc=f"epoch {epoch + 1}/{cfg.train.epochs}", leave=False, disable=None if info.is_main else True)
        for batch in bar:
            video, vmask = batch["video"].to(device), batch["video_mask"].to(device)
            words, wmask = batch["words"].to(device), batch["word_mask"].to(device)
            logits = net(video, vmask, words, wmask)
            if use_ranking:  # MCN: intra-video ranking + inter-video (the next sample's video, same moment)
                k = cfg.data.steps_per_chunk
                tgt = batch["target"].to(device)
                gt = MOMENT_TABLE.to(device)[tgt[:, 0] // k, tgt[:, 1] // k]
                inter = net(video.roll(1, 0), vmask.roll(1, 0), words, wmask).gather(1, gt[:, None])[:, 0] \
                    if video.shape[0] > 1 else None
                parts = mcn_ranking_loss(logits, gt, cfg.loss.margin, cfg.loss.inter_weight, inter)
            else:
                parts = asst_loss(logits, vmask, batch["target"].to(device), cfg.loss.beta, cfg.loss.boundary_sigma,
                                  cfg.loss.pos_weight_max, batch["target_cont"].to(device), cfg.loss.dist_weight)
            optim.zero_grad(set_to_none=True)
            parts["loss"].backward()
            if cfg.train.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(params, cfg.train.grad_clip)
            optim.step()
            step += 1
            losses.append(float(parts["loss"].detach()))
            if metrics_log is not None and step % cfg.train.log_every == 0:
                metrics_log.log(step, loss=parts["loss"].item(), loss_se=parts["se"].item(),
                                loss_inside=parts["inside"].item(), loss_dist=float(parts.get("dist", 0.0)),
                                lr=optim.param_groups[0]["lr"])
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
            if cfg.train.max_steps and step >= cfg.train.max_steps:
                break
        mean_loss = float(D.all_reduce_mean(torch.tensor(np.mean(losses) if losses else 0.0), info))
        record = {"epoch": epoch + 1, "step": step, "loss": mean_loss, "seconds": round(time.time() - t0, 2)}
        if val_q and info.is_main:
            preds = predict(model, val_q, feats, vocab, cfg, device, cfg.train.batch_size)
            name, value = headline(score_predictions(preds, val_q, cfg))
            record[f"val_{name}"] = value
        else:
            name, value = "neg_loss", -mean_loss
        if info.enabled:  # every rank steps the scheduler with rank 0's validation number
            shared = torch.tensor([value if info.is_main else 0.0], dtype=torch.float64, device=device)
            torch.distributed.broadcast(shared, 0)
            value = float(shared.item())
        sched.step(value)
        improved = value > best
        best, stale = (value, 0) if improved else (best, stale + 1)
        if metrics_log is not None:
            metrics_log.log(step, epoch_loss=mean_loss, **{f"val_{name}": value})
        log.info("epoch %d: loss %.4f, %s %.4f%s", epoch + 1, mean_loss, name, value, " (best)" if improved else "")
        history.append(record)
        if info.is_main:
            checkpoint(epoch + 1, last)
            if improved:
                checkpoint(epoch + 1, out_dir / "best.pt")
        stop = (cfg.train.max_steps and step >= cfg.train.max_steps) or (cfg.train.early_stop and stale >= cfg.train.early_stop)
        if stop:
            break
    if metrics_log is not None:
        metrics_log.close()
        atomic_write_json(out_dir / "history.json", history)
    D.barrier(info)
    D.cleanup(info)
    return {"history": history, "best": best, "steps": step, "model": model, "config": cfg, "vocab": vocab,
            "features": feats}
