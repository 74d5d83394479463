"""Frozen dataclass configs for TLL (model, targets, loss, decoding, MRF, data, training, evaluation).

Every value the paper does not state is a named option here; the README lists them under
"paper value unknown; default ours". Recipes in ``configs/*.yaml`` fill these dataclasses.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Literal

from pkg_shared import config as _shared_config
from pkg_shared.config import load_config


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Network (spec §3, §6)."""

    backbone: Literal["resnet50", "tiny"] = "resnet50"
    dilate_res5: bool = True  # res5 stride removed, dilation 2 -> stride 16 [paper]
    tiny_widths: tuple[int, int, int, int] = (16, 32, 48, 64)  # only for backbone=tiny (tests/demo)
    neck_channels: int = 256  # per deconvolution branch [ours]
    fusion_norm: Literal["bn", "l2norm"] = "bn"  # [ours]; l2norm = CSP style
    fuse_conv: bool = True  # 3x3 conv after the concatenation [ours]
    line_target: Literal["field", "scalar"] = "field"  # 2-channel directed field or 1-channel map
    weights: str | None = None  # local ImageNet ResNet-50 state_dict (.pth); never downloaded
    temporal_mode: Literal["none", "mean", "convlstm"] = "none"
    temporal_channels: int = 256  # reduce layer + Conv-LSTM hidden size [paper: 256]
    temporal_kernel: int = 3  # [ours]
    temporal_stride: Literal[4, 8] = 4  # Conv-LSTM resolution [ours]

    @property
    def line_channels(self) -> int:
        return 2 if self.line_target == "field" else 1


@dataclasses.dataclass(frozen=True)
class TargetConfig:
    """Training targets (spec §2.2)."""

    stride: int = 4
    sigma_min: float = 2.0  # px [ours]
    sigma_kappa: float = 0.05  # sigma = max(sigma_min, kappa * h) [ours]
    band_rho: float = 0.25  # link band half-width = max(1 cell, rho * w) [ours]
    min_height: float = 20.0  # smaller positives become ignore regions


@dataclasses.dataclass(frozen=True)
class LossConfig:
    """Loss (spec §2.3)."""

    kind: Literal["l2", "focal_heatmap"] = "l2"
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0)  # T, B, L
    focal_alpha: float = 2.0
    focal_beta: float = 4.0


@dataclasses.dataclass(frozen=True)
class DecodeConfig:
    """Vertex pairing into boxes (spec §4)."""

    vertex_thresh: float = 0.1
    subcell: bool = True  # log-parabola refinement of vertex peaks [ours]
    h_min: float = 10.0
    h_max_frac: float = 1.2  # of image height
    max_dx_frac: float = 0.5  # |b_x - t_x| <= frac * (b_y - t_y)
    n_samples: int = 10
    line_thresh: float = 0.05
    line_frac: float = 0.8
    pair_score: Literal["line", "line_x_vertices"] = "line_x_vertices"
    pair_thresh: float = 0.05
    aspect: float = 0.41
    height_mode: Literal["vertical", "euclidean"] = "vertical"
    nms_iou: float = 0.0  # 0 disables the optional safety NMS
    max_dets: int = 1000
    max_candidates: int = 300  # per vertex type, highest peaks first


@dataclasses.dataclass(frozen=True)
class MRFConfig:
    """MRF occlusion post-processing (spec §5)."""

    enabled: bool = False
    gamma: float = 2.0
    theta: float = 0.3
    suppress: float = 0.5
    eps: float = 1e-6
    hard_penalty: float = 1e6  # stands for +inf (a bottom shared by two people)
    exact_max_nodes: int = 8
    exact_max_states: int = 200_000
    bp_iters: int = 20
    bp_damping: float = 0.5
    time_budget_s: float = 0.5  # per component for the approximate solver


@dataclasses.dataclass(frozen=True)
class DataConfig:
    dataset: Literal["caltech", "citypersons", "kitti"] = "caltech"
    root: str | None = None
    train_sets: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
    every: int = 3  # Caltech training frames every k (10x set: k = 3)
    train_annotations: Literal["original", "new"] = "original"  # Caltech: .vbb, or Zhang et al. 2016 [ours]
    new_annotations: str | None = None  # folder of the new ones; default ROOT/anno_train10x_alignedby_RotatedFilters
    temporal_offsets: tuple[int, ...] = (-4, -3, -2, -1, 0)  # causal clip t-4..t
    flip: bool = True
    scale_jitter: tuple[float, float] = (0.8, 1.2)
    crop: tuple[int, int] | None = None  # (h, w) random crops, e.g. (336, 448); None = full frame
    photometric: bool = True
    input_scale: float = 1.0  # resize before the network (train), e.g. 0.5 for tiny runs


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    optimizer: Literal["adam", "sgd"] = "adam"
    lr: float = 1e-4
    weight_decay: float = 1e-4
    batch_size: int = 8
    iterations: int = 120_000
    lr_steps: tuple[int, ...] = (80_000,)
    lr_gamma: float = 0.1
    bn_freeze: bool = False
    ema: float = 0.0  # 0 disables; CSP uses 0.999
    freeze_backbone_iters: int = 0  # temporal stage: keep the trunk frozen at first
    init_from: str | None = None  # single-frame checkpoint for the temporal stage
    log_every: int = 20
    ckpt_every: int = 1000
    seed: int = 0
    # model selection on held-out training videos (spec §7) [ours]; 0 disables
    val_every: int = 0  # iterations between validations
    val_videos: tuple[str, ...] = ("set05/V010", "set05/V011", "set05/V012")  # excluded from training
    val_skip: int = 30  # validation frames every k (as the test set)
    val_setup: str = "Reasonable"  # Caltech setup whose MR^-2 picks best.pt (CityPersons: its setup name)


@dataclasses.dataclass(frozen=True)
class TemporalConfig:
    """Temporal training (spec §6)."""

    loss_all_steps: bool = False  # loss on every unrolled step (True) or the target frame only [ours]


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    protocol: Literal["original", "new"] = "original"
    resize_dets: bool = True  # code3.2.1 resizes detections to aspect 0.41
    setups: tuple[str, ...] = ("Reasonable", "All", "Scale=near", "Scale=medium", "Scale=far",
                               "Occ=none", "Occ=partial", "Occ=heavy")
    test_scale: float = 1.0


@dataclasses.dataclass(frozen=True)
class DetectConfig:
    """The whole recipe."""

    model: ModelConfig = ModelConfig()
    targets: TargetConfig = TargetConfig()
    loss: LossConfig = LossConfig()
    decode: DecodeConfig = DecodeConfig()
    mrf: MRFConfig = MRFConfig()
    data: DataConfig = DataConfig()
    train: TrainConfig = TrainConfig()
    temporal: TemporalConfig = TemporalConfig()
    eval: EvalConfig = EvalConfig()

    def __post_init__(self) -> None:
        if self.targets.stride != 4:
            raise ValueError("targets.stride must be 4 (the network's output stride)")
        if self.train.val_every < 0 or self.train.val_skip < 1:
            raise ValueError("train.val_every must be >= 0 and train.val_skip >= 1")
        if self.temporal.loss_all_steps and self.model.temporal_mode != "convlstm":
            raise ValueError("temporal.loss_all_steps needs model.temporal_mode=convlstm (one output per step)")


RECIPES = ("tll_caltech", "tll_mrf_caltech", "tll_tfa_caltech", "tll_citypersons", "hog_caltech")


def recipe_path(name_or_path: str | pathlib.Path) -> pathlib.Path:
    """A YAML path, or the name of a shipped recipe (with or without ``.yaml``)."""
    return _shared_config.resolve_recipe(name_or_path, "pkg_detect")


def load(name_or_path: str | pathlib.Path | None = None, overrides=()) -> DetectConfig:
    path = recipe_path(name_or_path) if name_or_path is not None else None
    return load_config(DetectConfig, path, overrides)


def from_run_dict(d: dict) -> DetectConfig:
    """Config stored in a checkpoint (plain dict) -> DetectConfig; never loads ImageNet weights again."""
    from pkg_shared.config import from_dict

    cfg = from_dict(DetectConfig, d)
    return dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, weights=None))
