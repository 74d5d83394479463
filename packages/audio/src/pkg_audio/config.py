"""Frozen dataclass configs; YAML recipes in ``pkg_audio/configs`` fill them.

Every value the paper leaves open is a field here (see the README's "paper value unknown" list),
never a constant in the code.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Literal

from pkg_shared import config as _shared_config
from pkg_shared.config import load_config

Variant = Literal["raw_mla", "raw_single", "raw_gap", "logmel_mla", "front_only"]


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture (spec section 3). Defaults: the paper model at 16 kHz."""

    variant: Variant = "raw_mla"
    num_classes: int = 527
    sample_rate: int = 16000
    # 1-D ResNet front end (WaveResNet1D)
    front_stem_kernel: int = 7
    front_stem_channels: int = 32
    front_stem_stride: int = 2
    front_widths: tuple[int, ...] = (64, 128, 128)
    front_pools: tuple[int, ...] = (4, 4, 5)
    front_blocks: tuple[int, ...] = (2, 2, 2)
    # front_only variant: extra 1-D stages continuing to 512 channels
    front_only_widths: tuple[int, ...] = (256, 512)
    front_only_pools: tuple[int, ...] = (2, 2)
    # log-mel front end (logmel_mla variant)
    n_fft: int = 512
    hop_length: int = 160
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    log_floor: float = 1e-10
    # 2-D ResNet back end
    back_stem_channels: int = 32
    back_widths: tuple[int, ...] = (64, 128, 256, 512)
    back_blocks: tuple[int, ...] = (2, 2, 2, 2)
    back_dropout: float = 0.0
    zero_init_residual: bool = False
    # multi-level attention head
    att_levels: tuple[int, ...] = (3, 4)
    att_embed: int = 512
    att_norm: Literal["softmax", "sigmoid_norm", "keras_yu"] = "softmax"
    fusion_bn: bool = False

    def __post_init__(self) -> None:
        if len(self.front_widths) != len(self.front_pools) or len(self.front_widths) != len(self.front_blocks):
            raise ValueError("front_widths, front_pools and front_blocks must have the same length")
        if len(self.back_widths) != len(self.back_blocks):
            raise ValueError("back_widths and back_blocks must have the same length")
        if len(self.front_only_widths) != len(self.front_only_pools):
            raise ValueError("front_only_widths and front_only_pools must have the same length")
        n = len(self.back_widths)
        if not self.att_levels or any(not 1 <= lv <= n for lv in self.att_levels):
            raise ValueError(f"att_levels must name back-end stages 1..{n}, got {list(self.att_levels)}")
        if self.num_classes < 1 or self.sample_rate < 1000:
            raise ValueError("num_classes must be >= 1 and sample_rate >= 1000")

    @property
    def frame_stride(self) -> int:
        """Samples per front-end frame (160 = 10 ms at 16 kHz for the defaults)."""
        s = self.front_stem_stride
        for p in self.front_pools:
            s *= p
        return s


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Where the AudioSet metadata and audio live and how clips are decoded and sampled."""

    root: pathlib.Path | None = None  # folder with the official CSVs (class_labels_indices.csv, ...)
    labels_csv: str = "class_labels_indices.csv"
    train_csvs: tuple[str, ...] = ("balanced_train_segments.csv", "unbalanced_train_segments.csv")
    eval_csv: str = "eval_segments.csv"
    monitor_csv: str = "balanced_train_segments.csv"  # "balanced mAP" training-fit monitor
    audio_dir: pathlib.Path | None = None  # defaults to root
    # file name template, relative to audio_dir; fields {ytid} {start} {end} {split}
    filename_template: str = "{split}/{ytid}_{start:.3f}.wav"
    train_manifest: pathlib.Path | None = None  # AST JSON or TSV manifest (overrides CSV+template)
    eval_manifest: pathlib.Path | None = None
    train_hdf5: pathlib.Path | None = None  # PANNs packed HDF5 or index file (overrides the above)
    eval_hdf5: pathlib.Path | None = None
    hdf5_waveforms_dir: pathlib.Path | None = None  # where an index file's waveform files are looked up by name
    hdf5_sample_rate: int = 32000  # PANNs packs 32 kHz int16
    eval_ids: pathlib.Path | None = None  # fixed id list for comparable evaluation subsets
    unknown_mid: Literal["error", "skip"] = "error"
    propagate_labels: bool = False  # also mark every labelled ancestor (ontology.json) of a positive class
    ontology_json: str = "ontology.json"
    sample_rate: int = 16000
    clip_seconds: float = 10.0
    random_crop_seconds: float = 0.0  # 0 = off
    resample: Literal["soxr", "poly", "decimate"] = "soxr"
    rms_normalize: bool = False
    sampler: Literal["roundrobin", "weighted", "random"] = "roundrobin"
    black_list_csv: pathlib.Path | None = None
    load_threads: int = 4

    def __post_init__(self) -> None:
        if self.clip_seconds <= 0:
            raise ValueError("clip_seconds must be > 0")


@dataclasses.dataclass(frozen=True)
class MixConfig:
    """Mix-training (paper) vs mixup vs none; the two-phase schedule of spec section 5.2."""

    mixing: Literal["none", "mixup", "mixtrain"] = "mixtrain"
    mix_prob: float = 1.0
    alpha_dist: str = "uniform"  # "uniform" or "beta:A" (mix-training alpha)
    mix_alpha_min: float = 0.0
    mixup_beta: float = 1.0  # mixup lambda ~ Beta(a, a)
    renorm_rms: bool = False
    finetune: bool = True
    mix_fraction: float = 0.8  # share of iterations in phase A
    finetune_lr_scale: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 <= self.mix_prob <= 1.0:
            raise ValueError("mix_prob must be in [0, 1]")
        if not 0.0 <= self.mix_alpha_min < 0.5:
            raise ValueError("mix_alpha_min must be in [0, 0.5)")
        if not 0.0 < self.mix_fraction <= 1.0:
            raise ValueError("mix_fraction must be in (0, 1]")
        if self.alpha_dist != "uniform":
            parse_beta(self.alpha_dist)


def parse_beta(text: str) -> float:
    """``beta:A`` -> A (> 0)."""
    head, _, val = text.partition(":")
    try:
        a = float(val)
    except ValueError:
        a = -1.0
    if head != "beta" or a <= 0:
        raise ValueError(f"alpha_dist must be 'uniform' or 'beta:A' with A > 0, got {text!r}")
    return a


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    iterations: int = 600_000
    batch_size: int = 32
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    amsgrad: bool = True
    aux_loss_weight: float = 0.0
    eval_every: int = 2000
    checkpoint_every: int = 2000
    log_every: int = 50
    monitor: bool = True  # also evaluate on (a subset of) the balanced-train set: "balanced mAP"
    max_monitor_clips: int = 2000
    seed: int = 0
    tensorboard: bool = True
    # mixed precision: bf16 autocast (CPU or CUDA) or fp16 autocast + GradScaler (CUDA only)
    amp: Literal["off", "bf16", "fp16"] = "off"
    # synchronised BatchNorm across torchrun ranks (torch.nn.SyncBatchNorm; needs CUDA devices)
    sync_bn: bool = False
    # model-only checkpoint ckpt_step<N>.pt at every evaluation, for averaging (audio-eval --run);
    # the newest N are kept (0 = none, -1 = all)
    keep_eval_checkpoints: int = 10

    def __post_init__(self) -> None:
        if self.iterations < 1 or self.batch_size < 1:
            raise ValueError("iterations and batch_size must be >= 1")
        if self.eval_every < 1 or self.checkpoint_every < 1 or self.log_every < 1:
            raise ValueError("eval_every, checkpoint_every and log_every must be >= 1")
        if self.keep_eval_checkpoints < -1:
            raise ValueError("keep_eval_checkpoints must be -1 (all), 0 (none) or a positive count")


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    batch_size: int = 16
    strict_sklearn: bool = False


@dataclasses.dataclass(frozen=True)
class InferConfig:
    hop_seconds: float = 5.0
    agg: Literal["max", "mean"] = "max"
    topk: int = 10
    threshold: float = 0.5


@dataclasses.dataclass(frozen=True)
class AudioConfig:
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    mix: MixConfig = dataclasses.field(default_factory=MixConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    eval: EvalConfig = dataclasses.field(default_factory=EvalConfig)
    infer: InferConfig = dataclasses.field(default_factory=InferConfig)

    def __post_init__(self) -> None:
        if self.model.sample_rate != self.data.sample_rate:
            raise ValueError(
                f"model.sample_rate ({self.model.sample_rate}) and data.sample_rate "
                f"({self.data.sample_rate}) differ"
            )


def recipe_names() -> list[str]:
    """Names of the YAML recipes shipped in the package."""
    return _shared_config.recipe_names("pkg_audio")


def resolve_recipe(name_or_path: str | pathlib.Path | None) -> pathlib.Path | None:
    """A path as given, or the shipped recipe of that name (``raw_mla_16k`` / ``raw_mla_16k.yaml``)."""
    return _shared_config.resolve_recipe(name_or_path, "pkg_audio")


def load(name_or_path: str | pathlib.Path | None = None, overrides: tuple[str, ...] | list[str] = ()) -> AudioConfig:
    return load_config(AudioConfig, resolve_recipe(name_or_path), list(overrides))
