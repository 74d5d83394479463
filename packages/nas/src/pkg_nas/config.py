"""Frozen dataclass configs; the YAML recipes in ``pkg_nas/configs`` fill them.

Values marked "[C]" in the docstrings are our choices where the paper value is unknown; they are
listed in the README under "paper value unknown; default ours".
"""

from __future__ import annotations

import dataclasses
from typing import Literal

Family = Literal["plain", "basic", "bottleneck"]
Stem = Literal["cifar", "imagenet", "imagenet_nomaxpool"]
DatasetName = Literal["cifar100", "tiny-imagenet", "imagenet"]


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Block family, stem and stage widths; the layer assignment is given separately."""

    family: Family = "basic"
    stem: Stem = "cifar"
    widths: tuple[int, ...] = (64, 128, 256, 512)
    stem_width: int | None = None  # None -> widths[0]
    num_classes: int = 100
    input_size: int = 32
    zero_init_residual: bool = True  # [C] last BN gamma = 0 so an activated block starts as identity
    plain_down: Literal["pool", "conv"] = "pool"  # [C] how `plain` stages downsample
    dropout: float = 0.0  # [C] before the classifier

    def __post_init__(self) -> None:
        if not self.widths or any(w < 1 for w in self.widths):
            raise ValueError(f"widths must be positive, got {list(self.widths)}")
        if self.num_classes < 1:
            raise ValueError("num_classes must be >= 1")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")

    @property
    def stages(self) -> int:
        return len(self.widths)


@dataclasses.dataclass(frozen=True)
class DataConfig:
    dataset: DatasetName = "cifar100"
    root: str = ""
    val_per_class: int = 50  # [C] held out from train (stratified, seed split_seed) for search
    split_seed: int = 0
    batch_size: int = 128
    eval_batch_size: int = 256
    workers: int = 0
    augment: bool = True
    pad: int = 4  # random-crop zero padding
    max_per_class: int | None = None  # optional train subset (cheap benchmark builds)
    train_on: Literal["train", "train_minus_val"] = "train"


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    epochs: int = 200
    lr: float = 0.1  # at lr_ref_batch; linearly scaled to data.batch_size
    lr_ref_batch: int = 128
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 5e-4
    wd_on_bn_bias: bool = False
    schedule: Literal["cosine", "step", "constant"] = "cosine"
    milestones: tuple[int, ...] = (60, 120, 160)
    gamma: float = 0.2
    warmup_epochs: int = 0
    label_smoothing: float = 0.0
    amp: bool = False  # mixed precision (autocast); weights, optimiser and BN stats stay float32
    amp_dtype: Literal["auto", "float16", "bfloat16"] = "auto"  # auto: float16 + scaler on CUDA, bfloat16 on CPU
    seed: int = 0
    checkpoint_every: int = 1  # epochs
    log_every: int = 50  # steps
    max_steps_per_epoch: int | None = None  # for smoke runs


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    start_depth: int | None = None  # None -> number of stages (all ones)
    target_depth: int = 8
    e0: int = 20  # [C] supernet epochs on the start set
    e_step: int = 10  # [C] supernet epochs per depth step
    beam: int = 1  # 1 = the paper's single inherited parent
    step_size: int = 1
    mix_parent: float = 0.0
    restart_supernet: bool = False
    max_per_stage: tuple[int, ...] | None = None
    supernet_blocks: tuple[int, ...] | None = None  # None -> target_depth - S + 1 per stage (capped)
    macs_budget: float | None = None  # in multiply-adds; None -> depth mode
    params_budget: float | None = None
    recal_batches: int = 20  # [C]
    recal_batch_size: int = 256
    uniform_epochs: int | None = None  # None -> e0 + steps * e_step (same supernet budget)
    exhaustive_limit: int = 1000
    evo_population: int = 50
    evo_generations: int = 20
    evo_parents: int = 10
    evo_mutation: float = 0.1
    random_samples: int = 20
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    depth_min: int = 4
    depth_max: int = 10
    seeds: int = 2
    max_per_stage: tuple[int, ...] | None = None


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything one command needs; each CLI reads the sections it uses."""

    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    search: SearchConfig = dataclasses.field(default_factory=SearchConfig)
    bench: BenchConfig = dataclasses.field(default_factory=BenchConfig)
    assignment: str = "2-2-2-2"


PRESETS: dict[str, ModelConfig] = {
    "cifar100": ModelConfig(stem="cifar", widths=(64, 128, 256, 512), num_classes=100, input_size=32),
    "cifar100_small": ModelConfig(stem="cifar", widths=(16, 32, 64, 128), num_classes=100, input_size=32),
    "tiny_imagenet": ModelConfig(stem="cifar", widths=(64, 128, 256, 512), num_classes=200, input_size=64),
    "imagenet": ModelConfig(stem="imagenet", widths=(64, 128, 256, 512), num_classes=1000, input_size=224),
    "tiny": ModelConfig(stem="cifar", widths=(8, 16, 32, 64), num_classes=100, input_size=32),
}
