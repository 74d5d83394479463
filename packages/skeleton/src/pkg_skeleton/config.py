"""Frozen dataclass configs; YAML recipes in ``configs/`` fill them (unknown keys are errors).

Values marked "paper value unknown; default ours" in the README are fields here, so a user can
change them from a recipe or with ``--set``.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Literal

Arch = Literal["hcn", "hcn_local", "hcn_point", "hcn_motion", "hcn_wide", "hcn_plus"]
Dataset = Literal[
    "ntu60_xsub", "ntu60_xview", "ntu120_xsub", "ntu120_xset",
    "sbu", "pkummd_xsub", "pkummd_xview", "pyskl", "stgcn",
]


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    arch: Arch = "hcn"
    num_classes: int = 60
    in_channels: int = 3
    num_joints: int = 25
    num_persons: int = 2
    frames: int = 32  # T; multiple of 16 (four 2x2 poolings along time)
    fc7_dim: int = 256  # paper value unknown; HCN-pytorch uses 256 (T=32) or 512 (T=64)
    dropout: float = 0.5
    person_fusion: Literal["max", "mean", "concat", "early"] = "max"
    fusion_point: Literal["conv6", "fc7"] = "conv6"
    mask_absent_person: bool = False
    motion_resize: Literal["interp", "pad_zero_end", "pad_repeat_last"] = "interp"
    bone_layout: Literal["ntu25"] = "ntu25"  # parent table for the hcn_plus bone stream
    # "cls+proposal": shared trunk with a classification and a proposal head (task: joint, spec §5.2)
    heads: Literal["cls", "cls+proposal"] = "cls"

    def __post_init__(self) -> None:
        if self.frames <= 0 or self.frames % 16:
            raise ValueError(f"model.frames must be a positive multiple of 16 (got {self.frames})")
        if self.num_classes < 1 or self.num_joints < 2 or self.num_persons < 1:
            raise ValueError("model.num_classes, num_joints and num_persons must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"model.dropout must be in [0, 1) (got {self.dropout})")


@dataclasses.dataclass(frozen=True)
class DataConfig:
    dataset: Dataset = "ntu60_xsub"
    root: pathlib.Path | None = None  # raw folder (NTU .skeleton dir, SBU root, PKU-MMD root, pickle file)
    train_split: str = "train"  # for pyskl pickles: e.g. xsub_train
    test_split: str = "val"
    sbu_test_fold: int = 1  # 1..5
    sbu_real_world: bool = False  # convert SBU normalised coordinates to millimetres
    missing_list: pathlib.Path | None = None  # default: the shipped official list (NTU-60: 302, NTU-120: 535)
    body_select: Literal["file_order", "denoise"] = "file_order"
    centring: Literal["per_frame_person0_joint2", "none", "first_frame", "rotate"] = "per_frame_person0_joint2"
    train_crop_min: float = 0.5
    train_crop_max: float = 1.0
    min_crop_frames: int = 0  # 64 reproduces HCN-pytorch
    test_crop: float = 0.95  # paper value unknown; default ours (HCN-pytorch)
    test_clips: int = 1  # >1: that many evenly spaced test crops per sequence, softmax scores averaged
    motion_source: Literal["resampled", "raw"] = "resampled"
    rot_deg: float = 0.0
    scale: float = 0.0
    max_samples: int | None = None  # cap per split (smoke runs)
    cache: pathlib.Path | None = None  # .npz cache of the parsed split (built on first use)

    def __post_init__(self) -> None:
        if not 0 < self.train_crop_min <= self.train_crop_max <= 1:
            raise ValueError("need 0 < data.train_crop_min <= data.train_crop_max <= 1")
        if not 0 < self.test_crop <= 1:
            raise ValueError(f"data.test_crop must be in (0, 1] (got {self.test_crop})")
        if self.test_clips < 1:
            raise ValueError(f"data.test_clips must be >= 1 (got {self.test_clips})")
        if not 1 <= self.sbu_test_fold <= 5:
            raise ValueError(f"data.sbu_test_fold must be 1..5 (got {self.sbu_test_fold})")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    epochs: int = 400
    batch_size: int = 64
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 1e-4
    schedule: Literal["exp", "cosine"] = "exp"
    lr_decay: float = 0.99  # per epoch for ``exp``
    clip_norm: float = 32.0
    label_smoothing: float = 0.0
    seed: int = 0
    num_workers: int = 0
    eval_every: int = 1
    tensorboard: bool = True
    init_from: pathlib.Path | None = None  # checkpoint whose same-name, same-shape weights start the model

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("train.epochs, train.batch_size and train.lr must be positive")


@dataclasses.dataclass(frozen=True)
class DetectConfig:
    """Milestone-1 sliding-window detector (spec §5.1); all values are our choice."""

    win_lengths: tuple[int, ...] = (32, 64, 96, 128, 160, 224, 320)
    stride_ratio: float = 0.25
    pos_iou: float = 0.7
    neg_iou: float = 0.3
    jitter_copies: int = 2  # jittered positives per instance (IoU >= pos_iou)
    score_thresh: float = 0.01
    nms_iou: float = 0.4
    max_dets: int = 300
    batch_size: int = 64
    # milestone 2 (spec §5.2)
    prop_pos_iou: float = 0.5
    prop_neg_iou: float = 0.3
    prop_nms_iou: float = 0.7
    prop_top: int = 200
    reg_weight: float = 1.0
    smooth_l1_beta: float = 1.0 / 9.0
    score_times_actionness: bool = True
    # task joint (one shared trunk, two heads): both losses every step, or one head per epoch in turn
    head_training: Literal["joint", "alternate"] = "joint"
    cls_weight: float = 1.0  # weight of the classification head's cross-entropy in the joint loss


@dataclasses.dataclass(frozen=True)
class RecognitionConfig:
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    detect: DetectConfig = dataclasses.field(default_factory=DetectConfig)
    # detection: milestone-1 window classifier (K+1 classes); proposal: milestone-2 proposal sub-network
    # (model.num_classes = 4 outputs: 2 actionness logits + 2 boundary deltas); joint: milestone 2 with one
    # shared trunk and both heads (model.heads = cls+proposal, model.num_classes = K+1)
    task: Literal["recognition", "detection", "proposal", "joint"] = "recognition"

    def __post_init__(self) -> None:
        if self.task == "proposal" and self.model.num_classes != 4:
            raise ValueError("task proposal needs model.num_classes=4 (2 actionness logits + 2 deltas)")
        if (self.task == "joint") != (self.model.heads == "cls+proposal"):
            raise ValueError("task joint and model.heads=cls+proposal go together")
        if self.data.test_clips > 1 and self.task in ("proposal", "joint"):
            raise ValueError("data.test_clips > 1 is for the recognition and detection tasks")
