"""Frozen dataclass configs; YAML recipes in ``configs/`` fill them (unknown keys are errors).

Every value that the ASST paper does not state (see the package README, "paper value unknown")
is a named option here, with our default.
"""

from __future__ import annotations

import dataclasses
from typing import Literal


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    name: Literal["asst", "mean_pool", "mcn"] = "asst"
    video_dim: int = 4096  # D_v of the features (RGB and flow concatenated when both are used)
    vocab_size: int = 1300  # filled from the vocabulary file when training
    word_dim: int = 300  # GloVe 6B-300d
    hidden: int = 256  # d: hidden size per RNN direction (paper value unknown; default ours)
    levels: int = 3  # L: granularities of the pyramid
    word_rnn: Literal["lstm", "gru"] = "lstm"
    attention: Literal["additive", "dot", "bilinear"] = "additive"
    translator: Literal["lstm", "gru", "none", "transformer"] = "lstm"
    translator_layers: int = 2  # translator=transformer (asst_plus): encoder layers per level
    translator_heads: int = 8
    heads: Literal["sei", "sei_dist"] = "sei"  # sei_dist (asst_plus): + per-step distances to start / end
    fusion: Literal["concat_mul", "concat", "mul"] = "concat_mul"
    pyramid: Literal["conv_pool", "dilated_conv", "stride_rnn"] = "conv_pool"
    integrate: Literal["sum", "concat"] = "sum"
    word_dropout: float = 0.2
    video_dropout: float = 0.5
    rnn_dropout: float = 0.2
    freeze_embeddings: bool = True
    unk_learned: bool = True  # OOV -> a learned <unk> vector (2D-TAN uses a zero vector)
    mcn_hidden: int = 1000  # MCN baseline: LSTM / visual MLP width
    mcn_embed: int = 100  # MCN baseline: joint embedding size

    def __post_init__(self) -> None:
        if not 1 <= self.levels <= 4:
            raise ValueError(f"levels must be 1..4, got {self.levels}")
        if self.hidden <= 0 or self.video_dim <= 0 or self.vocab_size <= 0:
            raise ValueError("hidden, video_dim and vocab_size must be positive")


@dataclasses.dataclass(frozen=True)
class DataConfig:
    dataset: Literal["charades_sta", "didemo", "qvhighlights"] = "charades_sta"
    root: str = ""  # folder of the annotation files (official names) -- see README "data layout"
    features: str = ""  # HDF5 file or folder of .npy/.npz (relative to root when not absolute)
    flow_features: str = ""  # DiDeMo: average_global_flow.h5 (concatenated to RGB)
    features_format: Literal["auto", "hdf5", "npy_dir", "npz_dir", "h5_dir"] = "auto"
    npz_key: str = "features"
    feature_rate: float = 0.0  # features per second; 0 = spread the F features over the duration
    num_steps: int = 64  # T for Charades-STA; DiDeMo uses 6 * steps_per_chunk
    steps_per_chunk: int = 5  # k for DiDeMo (1 with the chunk-average HDF5)
    normalize: Literal["none", "l2", "standardise"] = "l2"
    max_words: int = 40  # MCN length_prep_word
    glove: str = ""  # glove.6B.300d.txt; empty = random init (tests, demo)
    vocab: str = ""  # vocabulary file written by training (one word per line); empty = build
    on_missing: Literal["skip", "error"] = "skip"
    train_split: str = "train"
    val_split: str = ""  # "" = hold out val_fraction of train (Charades-STA has no val split)
    val_fraction: float = 0.1
    test_split: str = "test"
    didemo_target: Literal["random_annotator", "consensus", "all_annotators"] = "all_annotators"
    # how the features were made; grounding-infer uses these on a raw video
    backbone: str = "vgg16_fc7"
    backbone_weights: str = ""
    extract_fps: float = 6.0
    clip_len: int = 16  # clip backbones (r3d_18, mc3_18, r2plus1d_18, s3d): frames per clip
    clip_stride: int = 16  # ... and sampled frames between clip starts


@dataclasses.dataclass(frozen=True)
class LossConfig:
    kind: Literal["asst", "mcn_ranking"] = "asst"
    margin: float = 0.1  # mcn_ranking hinge margin
    inter_weight: float = 0.2  # mcn_ranking: weight of the inter-video term (lambda)
    beta: float = 1.0  # weight of the inside BCE
    boundary_sigma: float = 0.0  # >0: Gaussian label smoothing of start/end targets (steps)
    pos_weight_max: float = 10.0
    dist_weight: float = 1.0  # heads=sei_dist: weight of the L1 loss on the boundary distances


@dataclasses.dataclass(frozen=True)
class DecodeConfig:
    lambda_in: float = 1.0
    lambda_out: float = 1.0
    max_len_steps: int = 0  # 0 = T
    nms: float = 0.5
    top_k: int = 5
    refine: bool = True  # heads=sei_dist: move window bounds by the mean predicted distances inside them


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    grad_clip: float = 5.0
    plateau_factor: float = 0.5
    plateau_patience: int = 3
    early_stop: int = 0  # epochs without improvement before stopping; 0 = off
    num_workers: int = 0
    log_every: int = 20
    seed: int = 0
    max_steps: int = 0  # >0: stop after this many optimiser steps (tests, smoke runs)


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    protocol: Literal["auto", "mcn", "2dtan", "tall", "moment_detr", "all"] = "all"
    iou_compare: Literal["ge", "gt"] = "ge"
    miou: Literal["top1", "top3of5"] = "top1"  # top3of5 = mean of the 3 best IoUs among the top-5
    # >0: NMS before moment_detr's evaluator / in QVHighlights submissions (moment_detr's --nms_thd); 0 = none
    moment_detr_nms: float = 0.0


@dataclasses.dataclass(frozen=True)
class GroundingConfig:
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    loss: LossConfig = dataclasses.field(default_factory=LossConfig)
    decode: DecodeConfig = dataclasses.field(default_factory=DecodeConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    eval: EvalConfig = dataclasses.field(default_factory=EvalConfig)
    out: str = "runs/grounding"
