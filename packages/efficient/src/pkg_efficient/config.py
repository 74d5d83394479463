"""Frozen dataclass configs; YAML recipes in ``pkg_efficient/configs`` fill them."""

from __future__ import annotations

import dataclasses
from typing import Literal


@dataclasses.dataclass(frozen=True)
class ShiftConfig:
    mode: Literal["ssl", "active", "grouped", "none"] = "ssl"
    init_range: float = 1.0  # U(-r, r) displacement init [S]
    padding: Literal["zeros", "border"] = "zeros"
    qa_grad: Literal["at_real", "at_rounded"] = "at_real"
    max_disp: float | None = None  # optional clamp [C]
    kernel_size: int = 3  # grouped (ShiftNet) mode: k*k offsets in {-(k-1)/2..(k-1)/2}^2 [S]


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    name: str = "fenet_r_1.0"
    num_classes: int = 1000
    shift: ShiftConfig = ShiftConfig()
    phi: float | None = None  # FE-Net split ratio (None: the builder's default 0.5)
    expansion: int | None = None  # Shift-ResNet CSC expansion
    dropout: float | None = None
    stem_stride: int | None = None  # 1 for 32x32 CIFAR inputs to FE-Net/SSL-MobileNetV2
    width: float | None = None  # width multiplier of vgg16_cifar and the CIFAR (Shift-)ResNets (base 16 x width)
    init: str | None = None  # checkpoint (ours or a torchvision state dict) to start from


@dataclasses.dataclass(frozen=True)
class DataConfig:
    dataset: Literal["cifar10", "cifar100", "imagenet"] = "imagenet"
    root: str = ""
    input_size: int = 224
    batch_size: int = 256
    workers: int = 4
    imagenet_scale: tuple[float, float] = (0.25, 1.0)
    max_train_samples: int | None = None
    max_val_samples: int | None = None


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    epochs: int = 240
    lr: float = 0.4
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 4e-5  # conv/FC weights only
    warmup_epochs: float = 5.0
    min_lr: float = 0.0
    label_smoothing: float = 0.1
    shift_penalty: float = 5e-4  # lambda of the SSL L1 displacement penalty [S default]
    penalty_warmup_epochs: float = 0.0  # linear warm-up of lambda [C]
    penalty_weighting: Literal["none", "hw"] = "none"
    shift_lr_mult: float = 1.0
    proximal: bool = False  # soft-threshold displacements after each step [C]
    ema_decay: float = 0.0  # EMA of weights and BN buffers per step; 0 = off (spec: optional, 0.9999) [C]
    eval_every: int = 1
    log_every: int = 20


@dataclasses.dataclass(frozen=True)
class RunConfig:
    model: ModelConfig = ModelConfig()
    data: DataConfig = DataConfig()
    train: TrainConfig = TrainConfig()
    seed: int = 0


def model_kwargs(cfg: ModelConfig) -> dict:
    """Builder keyword arguments for ``models.build_model`` from the config (only what is set)."""
    kw: dict = {"num_classes": cfg.num_classes}
    name = cfg.name
    if name.startswith(("fenet", "ssl_mbv2", "shift_resnet")):
        kw["shift"] = {k: v for k, v in dataclasses.asdict(cfg.shift).items()}
    if cfg.phi is not None and name.startswith("fenet"):
        kw["phi"] = cfg.phi
    if cfg.expansion is not None and name.startswith("shift_resnet"):
        kw["expansion"] = cfg.expansion
    if cfg.dropout is not None and name.startswith(("fenet", "ssl_mbv2")):
        kw["dropout"] = cfg.dropout
    if cfg.stem_stride is not None and name.startswith(("fenet", "ssl_mbv2")):
        kw["stem_stride"] = cfg.stem_stride
    if cfg.width is not None and name == "vgg16_cifar":
        kw["width"] = cfg.width
    if cfg.width is not None and name.startswith(("resnet", "shift_resnet")) and name != "resnet50":
        kw["width"] = max(1, int(round(16 * cfg.width)))
    return kw


@dataclasses.dataclass(frozen=True)
class CompressConfig:
    """``efficient-compress`` settings; values marked [C] are our choices (paper value unknown)."""

    method: Literal["ldrf", "chanprune", "thinet", "l1", "random", "fga", "chandecomp", "spatial", "tucker", "cp"] = "ldrf"
    arch: Literal["vgg16", "vgg16_cifar", "resnet50", "resnet20", "resnet56", "resnet110"] = "vgg16"
    num_classes: int = 1000
    weights: str = ""  # torchvision state dict or one of our checkpoints (local path; never downloaded)
    dataset: Literal["cifar10", "cifar100", "imagenet"] = "imagenet"
    data_root: str = ""
    input_size: int = 224
    target_speedup: float | None = 5.0  # LDRF/baselines: conv-only theoretical speed-up
    widths: list[int] | None = None  # explicit kept widths (VGG) instead of a target
    calib_images: int = 5000  # [C] as He et al.: 5,000 training images x 10 positions
    positions: int = 10  # sampled output positions per image for the k x k LS fits and LASSO/ThiNet selection (0 = all)
    q_positions: int = 0  # [C] LDRF: sampled pixels per image for the 1x1 LS fit of Q' (0 = every pixel)
    embedding_scale: Literal["unit", "sigma", "sqrt"] = "sigma"  # [C] LDRF split U S V^T: Q = U (spec) / U S / U S^1/2
    rank_rule: Literal["energy", "full", "accuracy"] = "energy"  # [C] d_l rule (accuracy: spec's first rule)
    energy: float = 0.995  # [C]
    rank_eps: float = 0.1  # [C] accuracy rule: allowed calibration top-1 drop per layer, percentage points
    rank_images: int = 1000  # [C] accuracy rule: labelled calibration images used
    alt_iters: int = 0  # [C] LDRF: alternations of (a) R' refinement / (b) LS Q' (0: the two-step closed form)
    alt_steps: int = 10  # [C] gradient steps per (a)
    # [C] LDRF neuron score; compensate: greedy forward selection on the embedding LS residual
    selection: Literal["energy", "l1", "random", "compensate"] = "energy"
    refit_r: bool = True
    relu_bound: bool = True  # [C] n'_l >= ceil(d_l / a_l)
    allocation: Literal["uniform", "greedy"] = "uniform"  # [C] LDRF widths (VGG, ResNet internals): uniform ratio or spec's greedy
    width_multiple: int = 1  # [C] solved pruned widths are multiples of this (16: oneDNN AVX-512 channel blocks; 1 = off)
    reinsert_bn: bool = False  # [C] pruned models: identity BN after every recomposed conv (for fine-tuning)
    policy: Literal["uniform", "budget"] = "uniform"  # FGA (g, r) allocation [C]
    group_size: int = 16  # [C]
    target_reduction: float = 0.8  # FGA budget policy: M-Adds reduction [C]
    include_1x1: bool = False
    refit: bool = False  # FGA: LS refit of P on the compressed net's inputs [C]
    tensor_backend: Literal["torch", "tensorly"] = "torch"  # tucker / cp solver (tensorly: optional extra)
    jacobian_samples: int = 0  # [C] images for the input-output Jacobian spectrum (expensive; 0 = off)
    finetune_epochs: int = 0
    finetune_lr: float | None = None  # [C] None: 1e-3 on ImageNet, 1e-2 on CIFAR (spec §3.6, §4.5)
    batch_size: int = 64
    seed: int = 0


def finetune_lr(cfg: CompressConfig) -> float:
    """Fine-tuning learning rate after compression: the configured one, else the spec's per dataset."""
    if cfg.finetune_lr is not None:
        return cfg.finetune_lr
    return 0.01 if cfg.dataset.startswith("cifar") else 0.001


def _need(ok: bool, key: str, problem: str) -> None:
    if not ok:
        from pkg_shared.errors import ConfigError

        raise ConfigError(f"{key}: {problem}")


def check_run_config(cfg: RunConfig) -> None:
    """Impossible training values fail here, before anything is written (exit 2, one line)."""
    t, d, m = cfg.train, cfg.data, cfg.model
    _need(t.epochs >= 1, "train.epochs", f"must be at least 1, got {t.epochs}")
    _need(t.lr > 0, "train.lr", f"must be positive, got {t.lr}")
    _need(0 <= t.min_lr <= t.lr, "train.min_lr", f"must be in [0, train.lr={t.lr}], got {t.min_lr}")
    _need(0 <= t.momentum < 1, "train.momentum", f"must be in [0, 1), got {t.momentum}")
    _need(t.weight_decay >= 0, "train.weight_decay", f"must be >= 0, got {t.weight_decay}")
    _need(t.warmup_epochs >= 0, "train.warmup_epochs", f"must be >= 0, got {t.warmup_epochs}")
    _need(0 <= t.label_smoothing < 1, "train.label_smoothing", f"must be in [0, 1), got {t.label_smoothing}")
    _need(t.shift_penalty >= 0, "train.shift_penalty", f"must be >= 0, got {t.shift_penalty}")
    _need(t.penalty_warmup_epochs >= 0, "train.penalty_warmup_epochs", f"must be >= 0, got {t.penalty_warmup_epochs}")
    _need(t.shift_lr_mult >= 0, "train.shift_lr_mult", f"must be >= 0, got {t.shift_lr_mult}")
    _need(0 <= t.ema_decay < 1, "train.ema_decay", f"must be in [0, 1) (0 = off), got {t.ema_decay}")
    _need(t.eval_every >= 1, "train.eval_every", f"must be at least 1, got {t.eval_every}")
    _need(t.log_every >= 1, "train.log_every", f"must be at least 1, got {t.log_every}")
    _need(d.batch_size >= 1, "data.batch_size", f"must be at least 1, got {d.batch_size}")
    _need(d.workers >= 0, "data.workers", f"must be >= 0, got {d.workers}")
    _need(d.input_size >= 1, "data.input_size", f"must be positive, got {d.input_size}")
    lo, hi = d.imagenet_scale
    _need(0 < lo <= hi <= 1, "data.imagenet_scale", f"must be [lo, hi] with 0 < lo <= hi <= 1, got {list(d.imagenet_scale)}")
    for key, v in (("data.max_train_samples", d.max_train_samples), ("data.max_val_samples", d.max_val_samples)):
        _need(v is None or v >= 1, key, f"must be at least 1 (or null = all), got {v}")
    _need(m.num_classes >= 1, "model.num_classes", f"must be at least 1, got {m.num_classes}")
    _need(m.expansion is None or m.expansion >= 1, "model.expansion", f"must be at least 1, got {m.expansion}")
    _need(m.phi is None or 0 < m.phi <= 1, "model.phi", f"must be in (0, 1], got {m.phi}")
    _need(m.dropout is None or 0 <= m.dropout < 1, "model.dropout", f"must be in [0, 1), got {m.dropout}")
    _need(m.stem_stride in (None, 1, 2), "model.stem_stride", f"must be 1 or 2, got {m.stem_stride}")
    _need(m.width is None or m.width > 0, "model.width", f"must be positive, got {m.width}")
    _need(m.shift.kernel_size >= 1 and m.shift.kernel_size % 2 == 1, "model.shift.kernel_size",
          f"must be an odd positive integer, got {m.shift.kernel_size}")
    _need(m.shift.init_range >= 0, "model.shift.init_range", f"must be >= 0, got {m.shift.init_range}")
    _need(m.shift.max_disp is None or m.shift.max_disp > 0, "model.shift.max_disp",
          f"must be positive (or null = no clamp), got {m.shift.max_disp}")


def check_compress_config(cfg: CompressConfig) -> None:
    """Impossible compression values fail here, before any calibration (exit 2, one line)."""
    _need(cfg.target_speedup is None or cfg.target_speedup >= 1, "target_speedup",
          f"must be at least 1 (a speed-up, cost(original) / cost(compressed)), got {cfg.target_speedup}")
    _need(cfg.widths is None or all(w >= 1 for w in cfg.widths), "widths", f"must be positive, got {cfg.widths}")
    _need(cfg.num_classes >= 1, "num_classes", f"must be at least 1, got {cfg.num_classes}")
    _need(cfg.input_size >= 1, "input_size", f"must be positive, got {cfg.input_size}")
    _need(cfg.calib_images >= 1, "calib_images", f"must be at least 1, got {cfg.calib_images}")
    _need(cfg.positions >= 0, "positions", f"must be >= 0 (0 = every position), got {cfg.positions}")
    _need(cfg.q_positions >= 0, "q_positions", f"must be >= 0 (0 = every pixel), got {cfg.q_positions}")
    _need(0 < cfg.energy <= 1, "energy", f"must be in (0, 1] (fraction of the squared singular values kept), got {cfg.energy}")
    _need(cfg.rank_eps >= 0, "rank_eps", f"must be >= 0, got {cfg.rank_eps}")
    _need(cfg.rank_images >= 1, "rank_images", f"must be at least 1, got {cfg.rank_images}")
    _need(cfg.alt_iters >= 0, "alt_iters", f"must be >= 0, got {cfg.alt_iters}")
    _need(cfg.alt_steps >= 1, "alt_steps", f"must be at least 1, got {cfg.alt_steps}")
    _need(cfg.width_multiple >= 1, "width_multiple",
          f"must be at least 1 (1 = no alignment; 8 for AVX2, 16 for AVX-512 CPUs), got {cfg.width_multiple}")
    _need(cfg.group_size >= 1, "group_size", f"must be at least 1, got {cfg.group_size}")
    _need(0 < cfg.target_reduction < 1, "target_reduction",
          f"must be in (0, 1) (fraction of M-Adds removed), got {cfg.target_reduction}")
    _need(cfg.jacobian_samples >= 0, "jacobian_samples", f"must be >= 0 (0 = off), got {cfg.jacobian_samples}")
    _need(cfg.finetune_epochs >= 0, "finetune_epochs", f"must be >= 0, got {cfg.finetune_epochs}")
    _need(cfg.finetune_lr is None or cfg.finetune_lr > 0, "finetune_lr", f"must be positive, got {cfg.finetune_lr}")
    _need(cfg.batch_size >= 1, "batch_size", f"must be at least 1, got {cfg.batch_size}")
