"""Recognition evaluation of a checkpoint on the test split of its recipe."""

from __future__ import annotations

import dataclasses
import pathlib

import torch

from pkg_shared.config import from_dict
from pkg_shared.engine import load_checkpoint
from pkg_skeleton.config import RecognitionConfig
from pkg_skeleton.data.dataset import SkeletonDataset, load_split
from pkg_skeleton.engine.predict import clip_scores, predict, task_view
from pkg_skeleton.metrics.recognition import summarise
from pkg_skeleton.models import build_model


def load_model(path: str | pathlib.Path, device) -> tuple[torch.nn.Module, RecognitionConfig]:
    ck = load_checkpoint(path)
    cfg = from_dict(RecognitionConfig, ck["config"])
    model = build_model(cfg.model)
    model.load_state_dict(ck["model"])
    return model.to(device).eval(), cfg


def evaluate(model, cfg: RecognitionConfig, device, root: pathlib.Path | None = None) -> dict:
    """Top-1/top-5/mean-class accuracy on the recipe's test split (detection tasks: on its test windows)."""
    data_cfg = cfg.data if root is None else dataclasses.replace(cfg.data, root=root)
    if cfg.task != "recognition":  # windows of the test videos (class 0 = background)
        from pkg_skeleton.data.dataset import LoadReport
        from pkg_skeleton.engine.train import build_samples

        samples = build_samples(dataclasses.replace(cfg, data=data_cfg), splits=("test",))[0]
        rep = LoadReport("test", samples=len(samples))
    else:
        samples, rep = load_split(data_cfg, "test", cfg.model.num_persons)
    ds = SkeletonDataset(samples, data_cfg, cfg.model.frames, cfg.model.num_persons, train=False)
    loader = torch.utils.data.DataLoader(ds, batch_size=cfg.train.batch_size)
    out, labels = predict(model, loader, device)
    res = summarise(*task_view(*clip_scores(out, labels, ds.clips), cfg))
    res["dataset"] = cfg.data.dataset
    res["task"] = cfg.task
    res["data_report"] = rep.summary()
    res["test_clips"] = ds.clips
    if ds.clips == 1:
        res["protocol"] = f"single centre crop (ratio {data_cfg.test_crop}) per sample, no test-time augmentation"
    else:
        res["protocol"] = (f"{ds.clips} crops per sample (ratio {data_cfg.test_crop}, starts evenly spaced from "
                           "the first to the last frame), softmax probabilities averaged over the crops")
    return res
