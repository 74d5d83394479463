"""Frozen dataclass configs of pkg-reid; YAML recipes in ``pkg_reid/configs`` fill them.

Every value the paper leaves open is a named option here (see the README's
"paper value unknown; default ours" list). Unknown keys are errors (``pkg_shared.config``).
"""

from __future__ import annotations

import dataclasses
import pathlib
from dataclasses import dataclass, field
from typing import Literal

from pkg_shared import config as _shared_config
from pkg_shared.config import load_config

LEVELS = ("res2", "res3", "res4", "res5")


@dataclass(frozen=True)
class ModelConfig:
    backbone: Literal["resnet50", "resnet101", "resnet18", "tiny"] = "resnet50"
    last_stride: int = 2
    levels: tuple[str, ...] = ("res4", "res5")
    head: Literal["trinet", "bnneck", "linear"] = "trinet"
    hidden_dim: int = 1024
    embed_dim: int = 128
    fuse: Literal["concat", "sum"] = "concat"
    embed_norm: Literal["l2", "none"] = "l2"
    tiny_width: int = 16
    weights: str | None = None  # local ImageNet state dict of the backbone (never downloaded)

    def __post_init__(self) -> None:
        if self.last_stride not in (1, 2):
            raise ValueError("model.last_stride must be 1 or 2")
        if not self.levels or any(lv not in LEVELS for lv in self.levels):
            raise ValueError(f"model.levels must be a non-empty subset of {list(LEVELS)}")
        if len(set(self.levels)) != len(self.levels):
            raise ValueError("model.levels has duplicates")


@dataclass(frozen=True)
class LossConfig:
    kind: Literal["batch_hard", "soft_margin", "batch_all"] = "batch_hard"
    squared: bool = False
    fused_weight: float = 1.0
    level_weight: float = 1.0  # deep supervision of each per-level embedding; 0 disables it
    id_loss_weight: float = 0.0  # optional label-smoothed CE (ablation / BoT-like baseline)
    label_smoothing: float = 0.1


@dataclass(frozen=True)
class LitmConfig:
    mode: Literal["restart", "residual_shift", "ramp", "single"] = "restart"
    margins: tuple[float, ...] = (0.2, 0.4, 0.6)
    margin_step: float | None = None  # shorthand: margins[i] = margins[0] + i * step
    stage_epochs: tuple[int, ...] = (120, 60, 60)
    auto_switch: bool = False
    active_frac_switch: float = 0.05
    patience: int = 3
    freeze_previous: bool = False  # residual_shift only

    def __post_init__(self) -> None:
        if not self.margins or not self.stage_epochs:
            raise ValueError("litm.margins and litm.stage_epochs must be non-empty")
        if any(e <= 0 for e in self.stage_epochs):
            raise ValueError("litm.stage_epochs must be positive")
        if (self.mode in ("restart", "residual_shift") and self.margin_step is None
                and len(self.margins) != len(self.stage_epochs)):
            raise ValueError(
                    f"litm.margins has {len(self.margins)} values but litm.stage_epochs has "
                    f"{len(self.stage_epochs)} stages"
                )

    def resolved_margins(self) -> tuple[float, ...]:
        """Margin of every stage (``single``: the first margin, one stage)."""
        if self.mode == "single":
            return (self.margins[0],)
        if self.margin_step is not None:
            n = len(self.stage_epochs)
            return tuple(self.margins[0] + i * self.margin_step for i in range(n))
        return tuple(self.margins)

    def resolved_stage_epochs(self) -> tuple[int, ...]:
        if self.mode == "single":
            return (self.stage_epochs[0],)
        if self.mode == "ramp":
            return (sum(self.stage_epochs),)
        return tuple(self.stage_epochs)


@dataclass(frozen=True)
class GhisConfig:
    enabled: bool = True
    metric: Literal["center", "min_pair"] = "center"
    mode: Literal["groups", "pairs"] = "groups"
    num_neighbors: int = 0  # 0 -> P - 1
    hard_fraction: float = 1.0
    warmup_epochs: int = 1
    refresh_epochs: int = 1
    batch_size: int = 128  # images per forward pass of the search
    backend: Literal["auto", "torch", "faiss"] = "auto"  # auto: faiss above faiss_min_ids if installed
    faiss_min_ids: int = 20_000

    def __post_init__(self) -> None:
        if not 0.0 <= self.hard_fraction <= 1.0:
            raise ValueError("ghis.hard_fraction must be in [0, 1]")
        if self.refresh_epochs < 1:
            raise ValueError("ghis.refresh_epochs must be >= 1")


@dataclass(frozen=True)
class DataConfig:
    dataset: Literal["market1501", "dukemtmcreid", "cuhk03"] = "market1501"
    root: str = ""
    cuhk03_version: Literal["labeled", "detected"] = "labeled"
    cuhk03_protocol: Literal["new", "classic"] = "new"
    cuhk03_split: int = 0
    market_distractors: bool = False  # append Market-1501+500k images/ to the gallery
    height: int = 256
    width: int = 128
    num_ids: int = 16  # P
    num_instances: int = 4  # K
    epoch_images: Literal["identity_once", "all_images"] = "identity_once"
    flip_p: float = 0.5
    pad: int = 10
    random_erasing: float = 0.0
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    num_workers: int = 0

    def __post_init__(self) -> None:
        if self.num_ids < 2 or self.num_instances < 1:
            raise ValueError("data.num_ids must be >= 2 and data.num_instances >= 1")


@dataclass(frozen=True)
class OptimConfig:
    lr: float = 3e-4
    weight_decay: float = 5e-4
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    warmup_epochs: int = 10
    warmup_factor: float = 0.01  # start LR = lr * factor (3e-6 for lr 3e-4)
    decay: Literal["step", "hermans"] = "step"
    milestones: tuple[float, ...] = (0.5, 0.75)  # fractions of each stage
    gamma: float = 0.1
    hermans_start: float = 0.5  # fraction of the stage where exponential decay begins
    hermans_final_factor: float = 0.001


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    max_iters_per_epoch: int = 0  # 0: the sampler's full epoch
    eval_every: int = 0  # epochs; 0: only at the end
    log_every: int = 20
    amp: bool = True  # bf16 autocast on CUDA; always fp32 on CPU
    tensorboard: bool = True
    hist_every: int = 1  # epochs between distance histograms


@dataclass(frozen=True)
class EvalConfig:
    invalid_query: Literal["skip", "zero"] = "skip"
    dist: Literal["euclidean", "cosine"] = "euclidean"
    rerank: bool = False
    k1: int = 20
    k2: int = 6
    lambda_value: float = 0.3
    flip: bool = False
    batch_size: int = 128
    classic_repeats: int = 10
    max_rank: int = 50
    aqe_k: int = 0  # average query expansion with the top-k gallery features; 0 = off
    method: Literal["count", "sort"] = "count"  # count: fast exact path; sort: pkg_shared reference


@dataclass(frozen=True)
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    litm: LitmConfig = field(default_factory=LitmConfig)
    ghis: GhisConfig = field(default_factory=GhisConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


def recipe_names() -> list[str]:
    return _shared_config.recipe_names("pkg_reid")


def resolve_recipe(name_or_path: str | pathlib.Path) -> pathlib.Path:
    """A YAML path, or the name of a recipe shipped in ``pkg_reid/configs`` (with or without .yaml)."""
    return _shared_config.resolve_recipe(name_or_path, "pkg_reid")


def load(path: str | pathlib.Path | None = None, overrides: tuple[str, ...] | list[str] = ()) -> Config:
    return load_config(Config, None if path is None else resolve_recipe(path), overrides)


def replace(cfg, **kw):
    return dataclasses.replace(cfg, **kw)
