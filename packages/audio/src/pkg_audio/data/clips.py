"""Clip sets: ids + (N, K) targets + ``load(i)``; built from files (CSV/manifest) or PANNs HDF5."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Sequence

import numpy as np

from pkg_audio.config import DataConfig
from pkg_audio.data.audio_io import load_clip, pad_or_crop, resample, rms_normalise
from pkg_audio.data.audioset import ClassIndex, read_class_index, read_segments
from pkg_audio.data.hdf5 import Hdf5Reader, read_hdf5_index
from pkg_audio.data.manifest import Entry, match_segments, read_id_list, read_manifest
from pkg_shared.errors import ConfigError, DataFormatError


@dataclasses.dataclass
class ClipSet:
    """Clips of one split. ``source`` names where they came from (for reports)."""

    ids: list[str]
    targets: np.ndarray
    cfg: DataConfig
    paths: list[pathlib.Path] | None = None
    hdf5: Hdf5Reader | None = None
    hdf5_rate: int = 32000
    source: str = ""
    listed: int = 0
    missing_ids: list[str] = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def load(self, i: int, rng: np.random.Generator | None = None) -> np.ndarray:
        cfg = self.cfg
        crop = cfg.random_crop_seconds if rng is not None else 0.0
        if self.paths is not None:
            return load_clip(self.paths[i], cfg.sample_rate, cfg.clip_seconds, cfg.resample, rng, crop, cfg.rms_normalize)
        assert self.hdf5 is not None
        wave = resample(self.hdf5.read(i), self.hdf5_rate, cfg.sample_rate, cfg.resample)
        length = int(round(cfg.clip_seconds * cfg.sample_rate))
        if rng is not None and crop > 0:
            n = int(round(crop * cfg.sample_rate))
            off = int(rng.integers(0, max(len(wave) - n, 0) + 1))
            wave = pad_or_crop(wave[off:], n)
        if cfg.rms_normalize:
            wave = rms_normalise(wave)
        return pad_or_crop(wave, length)

    def subset(self, keep: Sequence[int]) -> ClipSet:
        keep = list(keep)
        return dataclasses.replace(
            self,
            ids=[self.ids[i] for i in keep],
            targets=self.targets[keep],
            paths=[self.paths[i] for i in keep] if self.paths is not None else None,
            hdf5=self.hdf5,
        )


def from_entries(entries: Sequence[Entry], classes: ClassIndex, cfg: DataConfig, source: str) -> ClipSet:
    idx = classes.index
    y = np.zeros((len(entries), len(classes)), dtype=np.float32)
    for n, e in enumerate(entries):
        for m in e.mids:
            j = idx.get(m)
            if j is None:
                if cfg.unknown_mid == "error":
                    raise DataFormatError(source, f"clip {e.clip_id}: label {m} is not in the class list")
                continue
            y[n, j] = 1.0
    return ClipSet([e.clip_id for e in entries], y, cfg, paths=[e.path for e in entries], source=source, listed=len(entries))


def load_classes(cfg: DataConfig) -> ClassIndex:
    if cfg.root is None:
        raise ConfigError("data.root is not set (the folder holding class_labels_indices.csv)")
    return read_class_index(pathlib.Path(cfg.root) / cfg.labels_csv)


def split_from_csv(cfg: DataConfig, classes: ClassIndex, csv_name: str) -> ClipSet:
    root = pathlib.Path(cfg.root)  # type: ignore[arg-type]
    csv_path = root / csv_name
    segs = read_segments(csv_path)
    split = pathlib.PurePath(csv_name).stem
    found, missing = match_segments(segs, cfg.audio_dir or root, cfg.filename_template, split)
    cs = from_entries(found, classes, cfg, str(csv_path))
    cs.listed = len(segs)
    cs.missing_ids = [s.clip_id for s in missing]
    return cs


def concat(sets: Sequence[ClipSet]) -> ClipSet:
    if len(sets) == 1:
        return sets[0]
    first = sets[0]
    return dataclasses.replace(
        first,
        ids=[i for s in sets for i in s.ids],
        targets=np.concatenate([s.targets for s in sets]),
        paths=[p for s in sets for p in (s.paths or [])],
        source="+".join(s.source for s in sets),
        listed=sum(s.listed for s in sets),
        missing_ids=[m for s in sets for m in s.missing_ids],
    )


def build_split(cfg: DataConfig, classes: ClassIndex, which: str) -> ClipSet:
    """``which`` = train | eval | monitor, honouring hdf5 > manifest > CSV + template."""
    hdf5 = {"train": cfg.train_hdf5, "eval": cfg.eval_hdf5}.get(which)
    manifest = {"train": cfg.train_manifest, "eval": cfg.eval_manifest}.get(which)
    if hdf5 is not None:
        ids, targets, reader = read_hdf5_index(hdf5, len(classes), cfg.hdf5_waveforms_dir)
        cs = ClipSet(ids, targets, cfg, hdf5=reader, hdf5_rate=cfg.hdf5_sample_rate,
                     source=str(hdf5), listed=len(ids))
    elif manifest is not None:
        cs = from_entries(read_manifest(manifest), classes, cfg, str(manifest))
    else:
        names = {"train": list(cfg.train_csvs), "eval": [cfg.eval_csv], "monitor": [cfg.monitor_csv]}[which]
        root = pathlib.Path(cfg.root)  # type: ignore[arg-type]
        names = [n for n in names if (root / n).is_file()] or names[:1]
        cs = concat([split_from_csv(cfg, classes, n) for n in names])
    if cfg.propagate_labels:
        from pkg_audio.data.audioset import propagate_up, read_ontology

        if cfg.root is None:
            raise ConfigError("data.propagate_labels needs data.root (the folder holding ontology.json)")
        cs.targets = propagate_up(cs.targets, classes, read_ontology(pathlib.Path(cfg.root) / cfg.ontology_json))
    if which == "eval" and cfg.eval_ids is not None:
        wanted = read_id_list(cfg.eval_ids)
        pos = {c: i for i, c in enumerate(cs.ids)}
        absent = [w for w in wanted if w not in pos]
        if absent:
            raise DataFormatError(cfg.eval_ids, f"{len(absent)} listed clip(s) are not available, e.g. {absent[0]}")
        cs = cs.subset([pos[w] for w in wanted])
    if len(cs) == 0:
        raise DataFormatError(cs.source or str(cfg.root), f"no {which} clips found (check data.audio_dir and data.filename_template)")
    return cs
