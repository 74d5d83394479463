"""The LITM training loop, readable top to bottom.

for stage in LITM stages (margins m_1 < m_2 < ...):
    at stage start: (residual_shift: add a zero-init shift), fresh Adam, LR schedule restarts,
                    GHIS search (if enabled and past warm-up)
    for epoch in stage:
        GHIS refresh on its own schedule; P x K batches from the sampler (random or hard groups)
        for batch: forward -> batch-hard triplet loss with margin m_s on fused (+ per-level) embeddings
                   -> backward -> step; log loss, margin, d_ap, d_an, active-triplet fraction
        checkpoint (atomic; model, optimiser, stage, margin, counters, GHIS lists, RNG states)
        auto stage switch when the active fraction stays below the threshold
final: extract query/gallery features, evaluate (both AP conventions), save model + features.

Resume (``resume=True``) restores everything in the checkpoint; batches are a pure function of
(seed, epoch, GHIS lists), so the continued run is identical to an uninterrupted one.
Launch under ``torchrun`` for data parallel training: each rank takes every world_size-th batch.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pathlib
import time

import numpy as np
import torch

from pkg_reid.config import Config
from pkg_reid.data.dataset import ImageDataset, load_splits
from pkg_reid.data.samplers import PKSampler
from pkg_reid.data.transforms import EvalTransform, TrainTransform
from pkg_reid.engine.evaluate import evaluate_arrays, strip_per_query
from pkg_reid.engine.extract import extract, save_features
from pkg_reid.engine.lr import beta1, lr_factor
from pkg_reid.ghis.search import GhisResult, batch_hardness, search
from pkg_reid.litm.schedule import LitmSchedule
from pkg_reid.losses import id_loss, triplet_loss
from pkg_reid.models import build_model
from pkg_shared.config import dump_yaml, to_dict
from pkg_shared.engine import (
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
    seed_everything,
)
from pkg_shared.engine import dist as pdist
from pkg_shared.errors import ConfigError
from pkg_shared.fsutil import atomic_write_json
from pkg_shared.logging import MetricsLogger, progress

log = logging.getLogger("pkg_reid.train")


def _make_optimizer(model: torch.nn.Module, cfg: Config) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    o = cfg.optim
    return torch.optim.Adam(params, lr=o.lr, betas=tuple(o.betas), eps=o.eps, weight_decay=o.weight_decay)


def _freeze_for_shift(model, num_shifts: int, freeze: bool) -> None:
    if not freeze or num_shifts == 0:
        return
    for p in model.parameters():
        p.requires_grad_(False)
    for p in model.shifts[-1].parameters():
        p.requires_grad_(True)


def compute_loss(out: dict, labels: torch.Tensor, margin: float, cfg: Config) -> tuple[torch.Tensor, dict]:
    lc = cfg.loss
    fused = triplet_loss(out["fused"], labels, margin, lc.kind, lc.squared)
    loss = lc.fused_weight * fused.loss
    if lc.level_weight > 0 and len(out["levels"]) > 1:
        for e in out["levels"]:
            loss = loss + lc.level_weight * triplet_loss(e, labels, margin, lc.kind, lc.squared).loss
    if lc.id_loss_weight > 0 and "logits" in out:
        loss = loss + lc.id_loss_weight * id_loss(out["logits"], labels, lc.label_smoothing)
    diag = {
        "d_ap": fused.d_ap, "d_an": fused.d_an, "active_frac": fused.active_frac,
        "embed_norm": float(out["raw"].detach().norm(dim=1).mean()),
    }
    return loss, diag


def train(cfg: Config, out_dir: str | pathlib.Path, device: torch.device | None = None, resume: bool = False,
          root: str | None = None, max_stages: int | None = None, max_epochs: int | None = None) -> dict:
    """Run (or continue) a LITM training run in ``out_dir``; returns the final summary.

    ``max_stages`` / ``max_epochs`` stop early (the checkpoint then resumes from that point).
    """
    out_dir = pathlib.Path(out_dir)
    device = device or torch.device("cpu")
    info = pdist.init_from_env(device)
    device = pdist.device_for(info, device)
    ckpt_path = out_dir / "last.pt"
    if resume and not ckpt_path.is_file():
        raise ConfigError(f"{ckpt_path}: nothing to resume (no checkpoint in the run folder)")
    if not resume and ckpt_path.is_file():
        raise ConfigError(f"{out_dir} already holds a run (last.pt); pass --resume or choose another --out")

    seed_everything(cfg.train.seed)
    splits = load_splits(cfg.data, root)
    labels_map = splits.train_labels
    train_ds = ImageDataset(splits.train, TrainTransform(cfg.data), labels_map)
    search_ds = ImageDataset(splits.train, EvalTransform(cfg.data), labels_map)
    train_labels = [labels_map[s.pid] for s in splits.train]
    sampler = PKSampler(train_labels, cfg.data.num_ids, cfg.data.num_instances, cfg.train.seed, cfg.data.epoch_images)
    schedule = LitmSchedule(cfg.litm)
    k_nb = cfg.ghis.num_neighbors or (sampler.P - 1)

    num_classes = splits.num_train_ids if cfg.loss.id_loss_weight > 0 else 0
    net = build_model(cfg.model, num_classes).to(device)
    st = {"epoch": 0, "stage": 0, "stage_epoch": 0, "low_count": 0, "num_shifts": 0, "step": 0}
    ghis: GhisResult | None = None
    neighbors: dict[int, list[int]] | None = None
    optimizer = _make_optimizer(net, cfg)
    if resume:
        ck = load_checkpoint(ckpt_path, map_location="cpu")
        st = dict(ck["state"])
        for _ in range(st["num_shifts"]):
            net.add_shift()
        net.load_state_dict(ck["model"])
        _freeze_for_shift(net, st["num_shifts"], cfg.litm.freeze_previous)
        optimizer = _make_optimizer(net, cfg)
        optimizer.load_state_dict(ck["optimizer"])
        ghis = GhisResult.from_state(ck)
        neighbors = None if ghis is None else ghis.neighbors
        if ghis is None and ck.get("ghis_neighbors") is not None:  # checkpoint of an older version: lists only
            neighbors = {int(pid): [int(v) for v in row]
                         for pid, row in zip(ck["ghis_ids"].tolist(), ck["ghis_neighbors"].tolist())}
        restore_rng_state(ck["rng"])
        if info.is_main:
            log.info("resumed %s at epoch %d (stage %d, stage epoch %d)", ckpt_path, st["epoch"], st["stage"] + 1,
                     st["stage_epoch"])
    model = pdist.wrap_model(net, info, device)
    mlog = None
    if info.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        dump_yaml(cfg, out_dir / "config.yaml")
        mlog = MetricsLogger(out_dir, tensorboard=cfg.train.tensorboard)
    use_amp = cfg.train.amp and device.type == "cuda"
    n_stages = schedule.num_stages if max_stages is None else min(max_stages, schedule.num_stages)
    t_start = time.time()

    while st["stage"] < n_stages and (max_epochs is None or st["epoch"] < max_epochs):
        stage, stage_len = st["stage"], schedule.stage_epochs[st["stage"]]
        if st["stage_epoch"] == 0:  # ---- stage start: LITM restart ----
            if cfg.litm.mode == "residual_shift" and stage > 0 and st["num_shifts"] < stage:
                net.add_shift(freeze_previous=False)
                st["num_shifts"] += 1
                _freeze_for_shift(net, st["num_shifts"], cfg.litm.freeze_previous)
                model = pdist.wrap_model(net, info, device) if info.enabled else net
            optimizer = _make_optimizer(net, cfg)
        margin = schedule.margin(stage, st["stage_epoch"])

        # ---- GHIS: refresh at stage start and every refresh_epochs after warm-up ----
        g = cfg.ghis
        if g.enabled and st["epoch"] >= g.warmup_epochs and (
            st["stage_epoch"] == 0 or neighbors is None or (st["epoch"] - g.warmup_epochs) % g.refresh_epochs == 0
        ):
            ghis = search(net, search_ds, device, k_nb, g.metric, g.batch_size, g.backend, g.faiss_min_ids)
            neighbors = ghis.neighbors
            if info.is_main:
                pairs = ", ".join(f"{a}-{b}:{d:.3f}" for a, b, d in ghis.top_pairs(5))
                log.info("GHIS refresh at epoch %d (%s): hardest identity pairs %s", st["epoch"] + 1, ghis.backend,
                         pairs)
        batches = sampler.batches(st["epoch"], neighbors if g.enabled else None, g.hard_fraction, g.mode)
        if cfg.train.max_iters_per_epoch > 0:
            batches = batches[: cfg.train.max_iters_per_epoch]
        if info.enabled:  # every rank must run the same number of steps (DDP all-reduces each one)
            while len(batches) < info.world_size:
                batches = batches + batches
            batches = batches[: len(batches) // info.world_size * info.world_size]
        my_batches = batches[info.rank:: info.world_size]
        if mlog is not None and ghis is not None:
            groups = sampler.id_groups(st["epoch"], neighbors if g.enabled else None, g.hard_fraction, g.mode)
            rand_groups = sampler.id_groups(st["epoch"], None)
            mlog.log(st["step"], ghis_batch_id_dist=batch_hardness(groups, ghis),
                     ghis_random_id_dist=batch_hardness(rand_groups, ghis))

        loader = torch.utils.data.DataLoader(train_ds, batch_sampler=my_batches, num_workers=cfg.data.num_workers)
        model.train()
        ep_active, ep_loss, d_aps, d_ans = [], [], [], []
        bar = progress(loader, desc=f"stage {stage + 1} epoch {st['epoch'] + 1}", leave=False,
                       disable=None if info.is_main else True)
        for it, (x, y, _, _) in enumerate(bar):
            f = lr_factor(cfg.optim, st["stage_epoch"] + it / max(len(my_batches), 1), stage_len)
            for grp in optimizer.param_groups:
                grp["lr"] = cfg.optim.lr * f
                grp["betas"] = (beta1(cfg.optim, st["stage_epoch"], stage_len), cfg.optim.betas[1])
            x, y = x.to(device, non_blocking=True), y.to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                out = model(x)
            loss, diag = compute_loss(out, y, margin, cfg)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            st["step"] += 1
            loss_v = float(pdist.all_reduce_mean(loss.detach(), info))
            ep_loss.append(loss_v)
            ep_active.append(diag["active_frac"])
            d_aps.append(diag["d_ap"].cpu())
            d_ans.append(diag["d_an"].cpu())
            if mlog is not None:
                mlog.log(st["step"], loss=loss_v, margin=margin, stage=stage + 1, lr=cfg.optim.lr * f,
                         active_frac=diag["active_frac"], d_ap=float(diag["d_ap"].mean()) if len(diag["d_ap"]) else 0.0,
                         d_an=float(diag["d_an"].mean()) if len(diag["d_an"]) else 0.0, embed_norm=diag["embed_norm"])
                if (st["step"] % cfg.train.log_every == 0) or it == len(my_batches) - 1:
                    log.info("stage %d/%d epoch %d (%d/%d) iter %d/%d margin %.3f loss %.4f active %.3f lr %.2e",
                             stage + 1, n_stages, st["epoch"] + 1, st["stage_epoch"] + 1, stage_len, it + 1,
                             len(my_batches), margin, loss_v, diag["active_frac"], cfg.optim.lr * f)
        # ---- end of epoch: diagnostics, schedule, checkpoint ----
        mean_active = float(np.mean(ep_active)) if ep_active else 0.0
        if mlog is not None and d_aps:
            dap, dan = torch.cat(d_aps), torch.cat(d_ans)
            q = torch.tensor([0.1, 0.5, 0.9])
            qa, qn = torch.quantile(dap.float(), q), torch.quantile(dan.float(), q)
            mlog.log(st["step"], epoch=st["epoch"] + 1, epoch_loss=float(np.mean(ep_loss)), epoch_active_frac=mean_active,
                     d_ap_p10=qa[0], d_ap_p50=qa[1], d_ap_p90=qa[2], d_an_p10=qn[0], d_an_p50=qn[1], d_an_p90=qn[2])
            tb = getattr(mlog, "_tb", None)  # pkg_shared's MetricsLogger has no histogram API yet
            if tb is not None and cfg.train.hist_every > 0 and (st["epoch"] + 1) % cfg.train.hist_every == 0:
                tb.add_histogram(f"stage{stage + 1}/d_ap", dap, st["epoch"] + 1)
                tb.add_histogram(f"stage{stage + 1}/d_an", dan, st["epoch"] + 1)
        switch, st["low_count"] = schedule.should_switch(st["low_count"], mean_active)
        st["epoch"] += 1
        st["stage_epoch"] += 1
        if st["stage_epoch"] >= stage_len or switch:
            if switch and info.is_main:
                log.info("auto switch: active fraction %.3f below %.3f for %d epochs -> next margin", mean_active,
                         cfg.litm.active_frac_switch, cfg.litm.patience)
            st["stage"] += 1
            st["stage_epoch"] = 0
            st["low_count"] = 0
        if info.is_main:
            ck = {
                "model": net.state_dict(), "optimizer": optimizer.state_dict(), "state": dict(st),
                "margin": margin, "config": to_dict(cfg), "rng": capture_rng_state(),
                "sampler": {"seed": sampler.seed, "P": sampler.P, "K": sampler.K, "epoch_images": sampler.epoch_images},
                **(ghis.state() if ghis is not None else _legacy_lists(neighbors)),
            }
            save_checkpoint(ck, ckpt_path)
            ev = cfg.train.eval_every
            if ev > 0 and st["epoch"] % ev == 0 and st["stage"] < n_stages:
                res = _evaluate(net, splits, cfg, device)
                mlog.log(st["step"], **{f"eval/{k}": v for k, v in _headline(res).items()})
                log.info("eval at epoch %d: %s", st["epoch"], _fmt(res))
        pdist.barrier(info)

    summary: dict = {"epochs": st["epoch"], "stages": st["stage"], "train_seconds": time.time() - t_start}
    if info.is_main:
        res = _evaluate(net, splits, cfg, device, features_path=out_dir / "features.npz")
        summary["eval"] = strip_per_query(res)
        save_checkpoint({"model": net.state_dict(), "config": to_dict(cfg), "num_shifts": st["num_shifts"],
                         "num_classes": num_classes}, out_dir / "model.pt")
        atomic_write_json(out_dir / "eval.json", summary["eval"])
        log.info("final: %s", _fmt(res))
        if mlog is not None:
            mlog.log(st["step"], **{f"eval/{k}": v for k, v in _headline(res).items()})
            mlog.close()
    pdist.cleanup(info)
    return summary


def _legacy_lists(neighbors: dict[int, list[int]] | None) -> dict:
    """Neighbour lists restored from an older checkpoint (no centres): keep them for exact resume."""
    if neighbors is None:
        return {"ghis_ids": None}
    ids = sorted(neighbors)
    return {"ghis_ids": torch.tensor(ids), "ghis_neighbors": torch.tensor([neighbors[i] for i in ids])}


def _evaluate(net, splits, cfg: Config, device, features_path=None) -> dict:
    qf = extract(net, splits.query, cfg.data, device, cfg.eval.batch_size, cfg.eval.flip, "query",
                 cfg.model.embed_norm == "l2")
    gf = extract(net, splits.gallery, cfg.data, device, cfg.eval.batch_size, cfg.eval.flip, "gallery",
                 cfg.model.embed_norm == "l2")
    if features_path is not None:
        save_features(features_path, qf, gf, splits.query, splits.gallery, {"dataset": splits.name})
    protocol = "cuhk03_classic" if splits.name.endswith("_classic") else "market"
    return evaluate_arrays(qf, gf, [s.pid for s in splits.query], [s.camid for s in splits.query],
                           [s.pid for s in splits.gallery], [s.camid for s in splits.gallery], cfg.eval, protocol)


def _headline(res: dict) -> dict[str, float]:
    p = res["plain"]
    return {k: p[k] for k in ("rank1", "rank5", "mAP_official", "mAP_non_interpolated", "mINP") if k in p}


def _fmt(res: dict) -> str:
    return json.dumps({k: round(v, 4) for k, v in _headline(res).items()})


def load_trained(path: str | pathlib.Path, device: torch.device | None = None):
    """(model, Config) from a run folder (``model.pt`` or ``last.pt``) or a checkpoint file."""
    from pkg_reid.config import Config as _C
    from pkg_shared.config import from_dict

    path = pathlib.Path(path)
    if path.is_dir():
        path = path / "model.pt" if (path / "model.pt").is_file() else path / "last.pt"
    ck = load_checkpoint(path)
    if "config" not in ck or "model" not in ck:
        from pkg_shared.errors import DataFormatError

        raise DataFormatError(path, "not a pkg-reid checkpoint (no 'model'/'config' entries)")
    cfg = from_dict(_C, ck["config"])
    cfg_model = dataclasses.replace(cfg.model, weights=None)  # trained weights follow; no ImageNet file needed
    n_cls = ck.get("num_classes", 0)
    if "state" in ck:
        n_shifts = ck["state"]["num_shifts"]
        n_cls = ck["model"]["classifier.weight"].shape[0] if "classifier.weight" in ck["model"] else 0
    else:
        n_shifts = ck.get("num_shifts", 0)
    net = build_model(cfg_model, n_cls)
    for _ in range(n_shifts):
        net.add_shift()
    net.load_state_dict(ck["model"])
    net.eval()
    if device is not None:
        net.to(device)
    return net, cfg
