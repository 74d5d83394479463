"""Frozen dataclass configs; the YAML recipes in ``pkg_video/configs`` fill them.

Values marked "paper value unknown; default ours" in the README are plain fields here, so a user
can change each one with ``--set section.key=value``.
"""

from __future__ import annotations

import dataclasses
from typing import Literal


def _at_least(cfg, lo: int, *names: str) -> None:
    """ValueError (turned into a one-line config error) when a count field is below ``lo``."""
    for name in names:
        v = getattr(cfg, name)
        if v < lo:
            raise ValueError(f"{name} must be >= {lo}, got {v}")


ConvType = Literal["c2d", "c3d", "c3d_full", "costa", "costb", "cost_noshare", "cost_avg", "cost_concat"]


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Network choice. ``arch`` names a paper variant; the other fields override its defaults."""

    arch: str = "costb_r50"
    num_classes: int = 400
    depth: int | None = None  # 50 or 101; None = from arch
    conv: ConvType | None = None  # block type of the selected blocks; None = from arch
    stem: Literal["8f", "32f"] | None = None  # 1x7x7 stem (8 frames) or 5x7x7 + temporal pool (32)
    selected: list[list[int]] | None = None  # per-stage 0/1 mask of CoST/3-D blocks
    stage_blocks: list[int] | None = None  # override the block counts (tiny models for tests/demo)
    width: int = 64  # channels of the stem (64 in the paper); smaller for tiny models
    coef_scope: Literal["channel", "layer"] = "channel"  # CoST(a): one alpha triple per channel or per layer
    cost_impl: Literal["three", "fused"] = "three"  # three conv3d calls (reference) or one stacked call
    temporal_pool: bool = True  # 2x1x1 max pool after res2
    dropout: float = 0.5
    head_init_std: float = 0.01
    pretrained: str | None = None  # local path of a torchvision ImageNet ResNet state dict

    def __post_init__(self) -> None:
        _at_least(self, 1, "num_classes", "width")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.head_init_std < 0:
            raise ValueError(f"head_init_std must be >= 0, got {self.head_init_std}")
        if self.stage_blocks is not None and (not self.stage_blocks or min(self.stage_blocks) < 1):
            raise ValueError(f"stage_blocks must list >= 1 block per stage, got {self.stage_blocks}")
        if self.selected is not None and any(v not in (0, 1) for m in self.selected for v in m):
            raise ValueError(f"selected is a 0/1 mask per stage (1 = CoST / 3-D block), got {self.selected}")


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Dataset location and the clip/crop pipeline (paper values from the official configs)."""

    dataset: Literal["kinetics", "mit", "filelist"] = "kinetics"
    root: str = "data/k400"  # Kinetics: folder with annotations/ and train/ val/ test/ (or class folders)
    annotations: str | None = None  # Kinetics: folder of the CSVs (default root/annotations)
    train_list: str | None = None  # filelist: mmaction-style list files (paths relative to root)
    val_list: str | None = None
    train_split: str = "train"
    val_split: str = "val"
    clip_len: int = 8
    frame_interval: int = 8
    out_of_bound: Literal["loop", "repeat_last"] = "loop"
    train_scale: tuple[int, int] = (256, 320)  # random short side, integer in [lo, hi]
    crop_size: int = 224
    val_short_side: int = 256  # 1-clip validation: short side, then centre crop crop_size
    test_short_side: int = 256  # multi-view test: short side, then three square crops of this size
    test_clips: int = 10
    test_crops: int = 3
    test_sampling: Literal["mmaction024", "mmaction1x"] = "mmaction024"
    flip: bool = True
    mean: tuple[float, float, float] = (123.675, 116.28, 103.53)
    std: tuple[float, float, float] = (58.395, 57.12, 57.375)
    backend: Literal["auto", "decord", "pyav", "torchcodec", "opencv"] = "auto"  # auto: decord, else PyAV, else OpenCV
    decode_threads: int = 1  # decoder threads per reader (official: 1; 0 = FFmpeg's choice)
    on_error: Literal["skip", "fail"] = "skip"  # train: a broken video is skipped (logged) or fatal
    num_workers: int = 4

    def __post_init__(self) -> None:
        _at_least(self, 1, "clip_len", "frame_interval", "crop_size", "val_short_side", "test_short_side", "test_clips")
        _at_least(self, 0, "num_workers")
        if min(self.std) <= 0:
            raise ValueError(f"std must be positive, got {self.std}")
        if self.test_crops not in (1, 3):
            raise ValueError(f"test_crops must be 1 (centre) or 3, got {self.test_crops}")
        if self.train_scale[0] > self.train_scale[1] or self.crop_size > self.train_scale[0]:
            raise ValueError(f"train_scale {self.train_scale} must be ordered and >= crop_size {self.crop_size}")
        if self.crop_size > self.val_short_side:
            raise ValueError(f"crop_size {self.crop_size} exceeds val_short_side {self.val_short_side}")
        if self.decode_threads < 0:
            raise ValueError(f"decode_threads must be >= 0 (0 = FFmpeg's choice), got {self.decode_threads}")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimisation (official configs: SGD 0.01 @ batch 64, steps at 1/2 and 3/4, clip 40)."""

    epochs: int = 160
    batch_size: int = 8  # per process
    base_lr: float = 0.01
    base_batch: int = 64  # lr = base_lr * global_batch / base_batch (linear scaling)
    momentum: float = 0.9
    weight_decay: float = 1e-4
    decay_coefficients: bool = True  # weight decay on alpha / FC1 / FC2 (official: yes)
    lr_steps: list[int] = dataclasses.field(default_factory=lambda: [80, 120])
    lr_gamma: float = 0.1
    grad_clip: float | None = 40.0
    amp: bool = False
    eval_every: int = 5
    max_steps_per_epoch: int | None = None  # cap for quick runs
    max_steps: int | None = None  # stop after this many optimiser steps in all (checkpoint written; resume later)
    checkpoint_every_steps: int | None = None  # also write last.pt every N steps inside an epoch
    seed: int = 0
    cudnn_deterministic: bool = True  # official runs: deterministic cuDNN (benchmark off); false = faster autotuning
    tensorboard: bool = True

    def __post_init__(self) -> None:
        _at_least(self, 1, "epochs", "batch_size", "base_batch", "eval_every")
        for name in ("base_lr", "lr_gamma"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("momentum", "weight_decay"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.grad_clip is not None and self.grad_clip <= 0:
            raise ValueError(f"grad_clip must be a positive L2 norm or null (no clipping), got {self.grad_clip}")
        if any(s < 0 for s in self.lr_steps):
            raise ValueError(f"lr_steps must be epoch numbers >= 0, got {self.lr_steps}")
        for name in ("max_steps", "checkpoint_every_steps", "max_steps_per_epoch"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ValueError(f"{name} must be a positive number of steps or null, got {v}")


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    views: Literal["1", "30"] = "30"  # 1 = one centre clip, centre crop; 30 = test_clips x test_crops
    average: Literal["prob", "logit"] = "prob"
    mmaction_compat: bool = False  # mean class accuracy over classes seen in preds or labels
    on_error: Literal["uniform", "fail"] = "uniform"  # an undecodable video counts with uniform scores
    batch_size: int = 1

    def __post_init__(self) -> None:
        _at_least(self, 1, "batch_size")


@dataclasses.dataclass(frozen=True)
class Config:
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    eval: EvalConfig = dataclasses.field(default_factory=EvalConfig)


def recipe_path(name_or_path: str):
    """A YAML path as given, or the path of a recipe shipped in ``pkg_video/configs``."""
    import pathlib
    from importlib import resources

    p = pathlib.Path(name_or_path)
    if p.exists():
        return p
    name = p.name if p.suffix in (".yaml", ".yml") else f"{p.name}.yaml"
    res = resources.files("pkg_video.configs") / name
    if res.is_file():
        return pathlib.Path(str(res))
    return p  # let the loader report "config file not found"


def list_recipes() -> list[str]:
    from importlib import resources

    return sorted(r.name[:-5] for r in resources.files("pkg_video.configs").iterdir() if r.name.endswith(".yaml"))
