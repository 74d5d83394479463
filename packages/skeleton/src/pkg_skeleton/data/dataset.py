"""Turn a DataConfig into in-memory samples (name, label, (M, F, V, C)) and a torch Dataset."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import pathlib

import numpy as np
import torch

from pkg_shared.errors import ConfigError, DataFormatError
from pkg_shared.fsutil import atomic_open
from pkg_shared.logging import progress
from pkg_skeleton.config import DataConfig
from pkg_skeleton.data import interop, ntu, pkummd, sbu, transforms

log = logging.getLogger(__name__)
Sample = tuple[str, int, np.ndarray]


@dataclasses.dataclass
class LoadReport:
    """What a reader skipped and why (printed by ``skeleton-data check`` and the trainer)."""

    split: str
    samples: int = 0
    skipped_missing_list: list[str] = dataclasses.field(default_factory=list)
    skipped_no_body: list[str] = dataclasses.field(default_factory=list)
    max_bodies: int = 0
    frames_min: int = 0
    frames_max: int = 0
    classes: int = 0
    problems: list[str] = dataclasses.field(default_factory=list)

    def summary(self) -> dict:
        d = dataclasses.asdict(self)
        for k in ("skipped_missing_list", "skipped_no_body"):
            d[k] = len(d[k])
        d["problems"] = len(d["problems"])
        return d


def _require_root(cfg: DataConfig) -> pathlib.Path:
    if cfg.root is None:
        raise ConfigError("data.root is not set (the dataset folder or file)")
    return pathlib.Path(cfg.root)


def _select(seq: ntu.NtuSequence, cfg: DataConfig, num_persons: int) -> np.ndarray:
    if cfg.body_select == "denoise":
        return ntu.select_denoise(seq, num_persons)
    return ntu.select_file_order(seq, num_persons)


def load_ntu(cfg: DataConfig, split: str, num_persons: int = 2, collect: bool = False
             ) -> tuple[list[Sample], LoadReport]:
    root = _require_root(cfg)
    folder = root / "nturgb+d_skeletons" if (root / "nturgb+d_skeletons").is_dir() else root
    missing = ntu.missing_samples(cfg.missing_list, cfg.dataset)
    rep = LoadReport(split)
    out: list[Sample] = []
    files = []
    for f in ntu.list_files(folder):
        name = ntu.parse_name(f.name)
        if not ntu.in_benchmark(name, cfg.dataset) or ntu.is_train(name, cfg.dataset) != (split == "train"):
            continue
        if f.stem in missing:
            rep.skipped_missing_list.append(f.stem)
            continue
        files.append((f, name))
    for f, name in progress(files, desc=f"parse {split}", unit="file"):
        try:
            seq = ntu.parse_skeleton_file(f)
        except DataFormatError as exc:
            if not collect:
                raise
            rep.problems.append(str(exc))
            continue
        rep.max_bodies = max(rep.max_bodies, seq.max_bodies)
        if seq.max_bodies == 0:
            log.warning("%s: no body in any frame; skipped", f)
            rep.skipped_no_body.append(f.stem)
            continue
        out.append((f.stem, name.label, _select(seq, cfg, num_persons)))
    return out, rep


def load_sbu(cfg: DataConfig, split: str, collect: bool = False) -> tuple[list[Sample], LoadReport]:
    rep = LoadReport(split)
    out = []
    for set_name, label, f in sbu.list_takes(_require_root(cfg)):
        try:
            fold = sbu.fold_of(set_name)
        except KeyError:
            log.warning("%s: set %s is in no fold; skipped", f, set_name)
            continue
        if (fold == cfg.sbu_test_fold) == (split == "train"):
            continue
        try:
            arr = sbu.read_skeleton_pos(f, cfg.sbu_real_world)
        except DataFormatError as exc:
            if not collect:
                raise
            rep.problems.append(str(exc))
            continue
        out.append((f"{set_name}/{f.parts[-3]}/{f.parts[-2]}", label, arr))
    return out, rep


def pkummd_videos(cfg: DataConfig, split: str) -> list[str]:
    root = _require_root(cfg)
    train, test = pkummd.read_split(pkummd.find_split_file(root, cfg.dataset))
    return train if split == "train" else test


def load_pkummd_instances(cfg: DataConfig, split: str, collect: bool = False) -> tuple[list[Sample], LoadReport]:
    """Every labelled instance cropped as a trimmed sample (label file frames are 0-based, inclusive)."""
    root = _require_root(cfg)
    rep = LoadReport(split)
    out = []
    for vid in progress(pkummd_videos(cfg, split), desc=f"read {split}", unit="video"):
        skel_path, label_path = pkummd.video_paths(root, vid)
        try:
            if not skel_path.is_file():
                raise DataFormatError(skel_path, "skeleton file of a split video not found")
            if not label_path.is_file():
                raise DataFormatError(label_path, "label file of a split video not found")
            seq = pkummd.read_skeleton(skel_path)
            for k, (label, s, e, _) in enumerate(pkummd.read_labels(label_path)):
                clip = seq[:, max(s, 0) : e + 1]
                if clip.shape[1] == 0:
                    raise DataFormatError(label_path, f"instance {s}-{e} lies outside the {seq.shape[1]} frames",
                                          k + 1)
                out.append((f"{vid}#{k}", label - 1, clip))
        except DataFormatError as exc:
            if not collect:
                raise
            rep.problems.append(str(exc))
    return out, rep


def load_interop(cfg: DataConfig, split: str) -> tuple[list[Sample], LoadReport]:
    root = _require_root(cfg)
    rep = LoadReport(split)
    name = cfg.train_split if split == "train" else cfg.test_split
    if cfg.dataset == "pyskl":
        splits, samples = interop.read_pyskl(root)
        if name not in splits:
            raise DataFormatError(root, f"split {name!r} not in the pickle (has: {', '.join(sorted(splits))})")
        try:
            return [samples[n] for n in splits[name]], rep
        except KeyError as exc:
            raise DataFormatError(root, f"split {name!r} names {exc} which has no annotation") from None
    return interop.read_stgcn(root, name), rep


def _cache_file(cfg: DataConfig, split: str) -> pathlib.Path | None:
    if cfg.cache is None:
        return None
    key = {k: str(getattr(cfg, k)) for k in ("dataset", "root", "sbu_test_fold", "sbu_real_world", "missing_list",
                                               "body_select", "centring")}
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:10]
    return pathlib.Path(cfg.cache) / f"{cfg.dataset}_{split}_{digest}.npz"


def load_split(cfg: DataConfig, split: str, num_persons: int = 2, collect: bool = False
               ) -> tuple[list[Sample], LoadReport]:
    """Samples of ``split`` ('train' or 'test'), centred; optionally cached as one ``.npz``.

    ``collect=True`` (``skeleton-data check``) records malformed files in the report instead of raising.
    """
    cache = _cache_file(cfg, split)
    if cache is not None and cache.is_file():
        z = np.load(cache, allow_pickle=False)
        offs = z["offsets"]
        arrays = [z["data"][:, offs[i] : offs[i + 1]] for i in range(len(offs) - 1)]
        samples = list(zip(z["names"].tolist(), z["labels"].tolist(), arrays))
        rep = LoadReport(split)
    else:
        if cfg.dataset.startswith("ntu"):
            samples, rep = load_ntu(cfg, split, num_persons, collect)
        elif cfg.dataset == "sbu":
            samples, rep = load_sbu(cfg, split, collect)
        elif cfg.dataset.startswith("pkummd"):
            samples, rep = load_pkummd_instances(cfg, split, collect)
        else:
            samples, rep = load_interop(cfg, split)
        samples = [(n, lab, transforms.centre(a, cfg.centring)) for n, lab, a in samples]
        if cache is not None and samples and not rep.problems and len({a.shape[0] for _, _, a in samples}) == 1:
            offs = np.cumsum([0] + [a.shape[1] for _, _, a in samples])
            with atomic_open(cache, "wb") as fh:
                np.savez(fh, data=np.concatenate([a for _, _, a in samples], axis=1), offsets=offs,
                         names=np.array([s[0] for s in samples]), labels=np.array([s[1] for s in samples]))
    if cfg.max_samples is not None:
        samples = samples[: cfg.max_samples]
    if not samples:
        if collect:
            rep.problems.append(f"{cfg.root}: no usable {split} samples for dataset {cfg.dataset}")
            return samples, rep
        raise DataFormatError(cfg.root or "?", f"no {split} samples for dataset {cfg.dataset}")
    rep.samples = len(samples)
    lengths = [a.shape[1] for _, _, a in samples]
    rep.frames_min, rep.frames_max = min(lengths), max(lengths)
    rep.classes = len({lab for _, lab, _ in samples})
    return samples, rep


class SkeletonDataset(torch.utils.data.Dataset):
    """Crop + resize to T frames -> (x (C, T, V, M), label, motion (C, T, V, M) or empty).

    For testing with ``cfg.test_clips = n > 1`` item ``i`` is clip ``i % n`` of sample ``i // n``.
    """

    def __init__(self, samples: list[Sample], cfg: DataConfig, frames: int, num_persons: int, train: bool,
                 seed: int = 0) -> None:
        self.samples, self.cfg, self.frames, self.m, self.train = samples, cfg, frames, num_persons, train
        self.seed, self.epoch = seed, 0
        self.clips = 1 if train else cfg.test_clips

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.samples) * self.clips

    def __getitem__(self, idx: int):
        _, label, a = self.samples[idx // self.clips]
        rng = np.random.default_rng((self.seed, self.epoch, idx)) if self.train else None
        return (*prepare(a, self.cfg, self.frames, self.m, self.train, rng, idx % self.clips, self.clips), label)


def prepare(a: np.ndarray, cfg: DataConfig, frames: int, num_persons: int, train: bool,
            rng: np.random.Generator | None, clip: int = 0, clips: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """One centred (M, F, V, C) array -> model input (C, T, V, M) and the raw-motion input (or empty).

    ``clip`` of ``clips`` picks one of the evenly spaced test crops (``transforms.test_windows``).
    """
    if a.shape[0] < num_persons:
        a = np.concatenate([a, np.zeros((num_persons - a.shape[0], *a.shape[1:]), a.dtype)])
    a = a[:num_persons]
    length = max(transforms.valid_length(a), 1)
    if train:
        start, size = transforms.crop_window(length, True, rng, cfg.train_crop_min, cfg.train_crop_max,
                                             cfg.min_crop_frames, cfg.test_crop)
    else:
        start, size = transforms.test_windows(length, clips, cfg.test_crop)[clip]
    clip = a[:, start : start + size]
    if clip.shape[1] == 0:
        clip = np.zeros((a.shape[0], 1, *a.shape[2:]), np.float32)
    x = transforms.resize_time(clip, frames)
    if train and rng is not None:
        x = transforms.random_rotate_scale(x, rng, cfg.rot_deg, cfg.scale)
    motion = torch.zeros(0)
    if cfg.motion_source == "raw":
        raw = torch.as_tensor(clip)
        d = raw[:, 1:] - raw[:, :-1] if raw.shape[1] > 1 else torch.zeros_like(raw)
        motion = transforms.to_model_layout(transforms.resize_time(d, frames))
    return transforms.to_model_layout(x), motion
