"""Clip datasets for training (random clip + augmentation), 1-clip validation and multi-view testing.

A video that cannot be decoded never stops a run: in training it is logged and replaced by the
next sample (or raises, ``on_error="fail"``); in evaluation the item comes back with ``ok=False``
and the evaluator gives it uniform scores.
"""

from __future__ import annotations

import logging
import pathlib

import numpy as np
import torch
from torch.utils.data import Dataset

from pkg_shared.errors import DataFormatError
from pkg_shared.io.clip import read_clip
from pkg_video.config import DataConfig
from pkg_video.data import filelist, kinetics, mit
from pkg_video.data.filelist import Sample
from pkg_video.data.sampling import clip_frames, multi_clip_starts, train_start, val_start
from pkg_video.data.transforms import centre_transform, three_crop_transform, train_transform

log = logging.getLogger(__name__)


def build_samples(cfg: DataConfig, split: str, classes: list[str] | None = None) -> tuple[list[Sample], list[str], dict]:
    """(samples with absolute paths, class names, report) for ``split`` of the configured dataset.

    Kinetics labels are indices into the sorted class names of the train CSV; ``classes`` (a trained
    model's class names) stands in for them when only the evaluated split's CSV is there.
    """
    root = pathlib.Path(cfg.root)
    if cfg.dataset == "kinetics":
        ann = pathlib.Path(cfg.annotations) if cfg.annotations else root / "annotations"
        known = None
        if classes is not None and _named(classes) and split != "train":
            try:
                kinetics.find_csv(ann, "train")
            except DataFormatError:
                known = list(classes)
        samples, classes, rep = kinetics.build_split(ann, root, split, known)
        return samples, classes, rep.as_dict()
    if cfg.dataset == "mit":
        return mit.build_split(root, split)
    lst = cfg.train_list if split == cfg.train_split else cfg.val_list
    if not lst:
        raise DataFormatError(root, f"data.{'train' if split == cfg.train_split else 'val'}_list is not set")
    samples = filelist.resolve(root, filelist.read_video_list(lst))
    k = max(s.label for s in samples) + 1 if samples else 0
    return samples, [str(i) for i in range(k)], {"list": lst, "rows": len(samples), "found": len(samples)}


def _named(names: list[str]) -> bool:
    """Class names, not the indices "0", "1", ... of a file list or of a checkpoint imported without names."""
    return any(not n.isdigit() for n in names)


def check_classes(samples: list[Sample], classes: list[str], model_classes: list[str], source) -> None:
    """The labels of ``samples`` (class list ``classes``) must mean the same as the model's classes.

    Class names are compared when both sides have names (a checkpoint imported without a class
    list, or a file list, has the indices "0", "1", ... only); every label must be a model class.
    """
    if _named(classes) and _named(model_classes) and list(classes) != list(model_classes):
        diff = next((f"{a!r} vs {b!r}" for a, b in zip(classes, model_classes) if a != b), "a different count")
        raise DataFormatError(source, f"its {len(classes)} classes are not the model's {len(model_classes)} "
                              f"(first difference: {diff})")
    bad = next((s for s in samples if s.label >= len(model_classes)), None)
    if bad is not None:
        raise DataFormatError(source, f"label {bad.label} of {bad.path} is not one of the model's "
                              f"{len(model_classes)} classes")


class ClipDataset(Dataset):
    """mode ``train``: (3, T, crop, crop); ``val``: same, centre clip and crop; ``test``: (V, 3, T, S, S)."""

    def __init__(self, samples: list[Sample], cfg: DataConfig, mode: str, *, seed: int = 0, views: str = "30") -> None:
        if mode not in ("train", "val", "test"):
            raise ValueError(mode)
        self.samples, self.cfg, self.mode, self.seed, self.views = samples, cfg, mode, seed, views
        self.epoch = 0
        self.failed: set[str] = set()

    def __len__(self) -> int:
        return len(self.samples)

    def set_epoch(self, epoch: int) -> None:
        """Augmentation RNG depends on (seed, epoch, index) only: resume and worker count do not change it."""
        self.epoch = epoch

    def _load_train(self, i: int) -> torch.Tensor:
        c = self.cfg
        rng = np.random.default_rng([self.seed, self.epoch, i])
        clip, _ = read_clip(self.samples[i].path,
                            lambda n: clip_frames(train_start(n, c.clip_len, c.frame_interval, rng), n, c.clip_len,
                                                  c.frame_interval, c.out_of_bound), c.backend, c.decode_threads)
        return train_transform(clip, rng, c.train_scale, c.crop_size, c.flip, c.mean, c.std)

    def _load_val(self, i: int) -> torch.Tensor:
        c = self.cfg
        clip, _ = read_clip(self.samples[i].path,
                            lambda n: clip_frames(val_start(n, c.clip_len, c.frame_interval, c.test_sampling), n,
                                                  c.clip_len, c.frame_interval, c.out_of_bound), c.backend, c.decode_threads)
        return centre_transform(clip, c.val_short_side, c.crop_size, c.mean, c.std)

    def _load_test(self, i: int) -> torch.Tensor:
        c = self.cfg
        if self.views == "1":
            return self._load_val(i).unsqueeze(0)

        def choose(n: int) -> list[int]:
            starts = multi_clip_starts(n, c.clip_len, c.frame_interval, c.test_clips, c.test_sampling)
            return [f for s in starts for f in clip_frames(s, n, c.clip_len, c.frame_interval, c.out_of_bound)]

        clip, _ = read_clip(self.samples[i].path, choose, c.backend, c.decode_threads)
        views = []
        for k in range(c.test_clips):
            sub = clip[k * c.clip_len:(k + 1) * c.clip_len]
            crops = three_crop_transform(sub, c.test_short_side, c.test_short_side, c.mean, c.std)
            views.extend(crops if c.test_crops == 3 else [crops[1]])
        return torch.stack(views)

    def _shape(self) -> tuple[int, ...]:
        c = self.cfg
        if self.mode == "test" and self.views == "30":
            return (c.test_clips * c.test_crops, 3, c.clip_len, c.test_short_side, c.test_short_side)
        if self.mode == "test":
            return (1, 3, c.clip_len, c.crop_size, c.crop_size)
        return (3, c.clip_len, c.crop_size, c.crop_size)

    def __getitem__(self, i: int) -> dict:
        s = self.samples[i]
        if self.mode == "train":
            for attempt in range(len(self.samples)):
                j = (i + attempt) % len(self.samples)
                try:
                    video = self._load_train(j)
                    return {"video": video, "label": self.samples[j].label, "index": j, "ok": True}
                except DataFormatError as exc:
                    if self.cfg.on_error == "fail":
                        raise
                    if self.samples[j].path not in self.failed:
                        log.warning("skipping undecodable video %s", exc)
                        self.failed.add(self.samples[j].path)
            raise DataFormatError(s.path, "no decodable video in the whole training set")
        try:
            video = self._load_test(i) if self.mode == "test" else self._load_val(i)
            ok, error = True, ""
        except DataFormatError as exc:
            log.warning("cannot decode %s; it will count with uniform scores", exc)
            video, ok, error = torch.zeros(self._shape()), False, exc.problem
        return {"video": video, "label": s.label, "index": i, "ok": ok, "error": error}
