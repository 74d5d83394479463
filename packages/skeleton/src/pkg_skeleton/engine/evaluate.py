"""Recognition evaluation of a checkpoint on the test split of its recipe, and score-level ensembles."""

from __future__ import annotations

import dataclasses
import pathlib

import torch

from pkg_shared.config import from_dict
from pkg_shared.engine import load_checkpoint
from pkg_shared.errors import ConfigError
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


def test_scores(model, cfg: RecognitionConfig, device, root: pathlib.Path | None = None):
    """(sample names, scores, labels, load report) on the recipe's test split, after the task view.

    Scores are logits for one test clip, mean softmax probabilities for ``data.test_clips > 1``.
    """
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
    scores, labels, _ = task_view(*clip_scores(out, labels, ds.clips), cfg)
    names = [n for n, _, _ in samples]
    if cfg.task == "joint":
        names = [n for (n, y, _) in samples if y[0] >= 0]
    return names, scores, labels, rep


def _protocol(data_cfg) -> str:
    if data_cfg.test_clips == 1:
        return f"single centre crop (ratio {data_cfg.test_crop}) per sample, no test-time augmentation"
    return (f"{data_cfg.test_clips} crops per sample (ratio {data_cfg.test_crop}, starts evenly spaced from "
            "the first to the last frame), softmax probabilities averaged over the crops")


def evaluate(model, cfg: RecognitionConfig, device, root: pathlib.Path | None = None) -> dict:
    """Top-1/top-5/mean-class accuracy on the recipe's test split (detection tasks: on its test windows)."""
    _, scores, labels, rep = test_scores(model, cfg, device, root)
    num_classes = 2 if cfg.task == "proposal" else cfg.model.num_classes
    res = summarise(scores, labels, num_classes)
    res["dataset"] = cfg.data.dataset
    res["task"] = cfg.task
    res["data_report"] = rep.summary()
    res["test_clips"] = cfg.data.test_clips
    res["protocol"] = _protocol(cfg.data)
    return res


def ensemble(members: list[tuple[str, torch.nn.Module, RecognitionConfig]], weights: list[float], device,
             root: pathlib.Path | None = None) -> dict:
    """Score-level fusion (spec §6.1): sum of ``weight x softmax`` of every member on the same test samples.

    Each member is evaluated with its own recipe (streams, frames, test clips); they must agree on the
    test samples (names, order, labels). Per-member accuracy is reported next to the fused one.
    """
    if len(weights) != len(members):
        raise ConfigError(f"{len(members)} checkpoints but {len(weights)} weights")
    fused, ref, report = None, None, {}
    for (name, model, cfg), w in zip(members, weights):
        if cfg.task != "recognition":
            raise ConfigError(f"{name}: ensembles are for recognition checkpoints (task {cfg.task})")
        names, scores, labels, _ = test_scores(model, cfg, device, root)
        probs = scores if cfg.data.test_clips > 1 else torch.softmax(scores, 1)
        if ref is None:
            ref = (names, labels, cfg.model.num_classes)
        elif names != ref[0] or not torch.equal(labels, ref[1]):
            raise ConfigError(f"{name}: its test samples differ from those of {members[0][0]}")
        report[name] = {"weight": w, **{k: v for k, v in summarise(probs, labels, ref[2]).items()
                                         if k != "confusion"}, "protocol": _protocol(cfg.data)}
        fused = w * probs if fused is None else fused + w * probs
    res = summarise(fused, ref[1], ref[2])
    res["members"] = report
    res["fusion"] = "sum over members of weight x softmax probabilities (score-level fusion)"
    return res
