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


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    name: str = "fenet_r_1.0"
    num_classes: int = 1000
    shift: ShiftConfig = ShiftConfig()
    phi: float | None = None  # FE-Net split ratio (None: the builder's default 0.5)
    expansion: int | None = None  # Shift-ResNet CSC expansion
    dropout: float | None = None
    stem_stride: int | None = None  # 1 for 32x32 CIFAR inputs to FE-Net/SSL-MobileNetV2
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
    selection: Literal["energy", "l1", "random"] = "energy"  # [C] LDRF neuron score
    refit_r: bool = True
    relu_bound: bool = True  # [C] n'_l >= ceil(d_l / a_l)
    allocation: Literal["uniform", "greedy"] = "uniform"  # [C] LDRF widths (VGG, ResNet internals): uniform ratio or spec's greedy
    reinsert_bn: bool = False  # [C] pruned models: identity BN after every recomposed conv (for fine-tuning)
    policy: Literal["uniform", "budget"] = "uniform"  # FGA (g, r) allocation [C]
    group_size: int = 16  # [C]
    target_reduction: float = 0.8  # FGA budget policy: M-Adds reduction [C]
    include_1x1: bool = False
    refit: bool = False  # FGA: LS refit of P on the compressed net's inputs [C]
    tensor_backend: Literal["torch", "tensorly"] = "torch"  # tucker / cp solver (tensorly: optional extra)
    jacobian_samples: int = 0  # [C] images for the input-output Jacobian spectrum (expensive; 0 = off)
    finetune_epochs: int = 0
    finetune_lr: float = 0.001
    batch_size: int = 64
    seed: int = 0
