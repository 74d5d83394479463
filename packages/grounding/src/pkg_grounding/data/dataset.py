"""From a DataConfig to tensors: split loading, feature steps, targets, batching."""

from __future__ import annotations

import pathlib
import random

import numpy as np
import torch
from torch.utils.data import Dataset

from pkg_grounding.config import DataConfig
from pkg_grounding.data import charades_sta, didemo, qvhighlights
from pkg_grounding.data.features import (
    FeatureStore,
    average_to_fixed_length,
    crop_to_duration,
    didemo_steps,
    normalize,
)
from pkg_grounding.data.records import Query, SplitReport
from pkg_grounding.data.vocab import Vocab
from pkg_shared.errors import ConfigError, DataFormatError


def _resolve(root: str, p: str) -> pathlib.Path:
    q = pathlib.Path(p)
    return q if q.is_absolute() or not root else pathlib.Path(root) / q


def num_steps(cfg: DataConfig) -> int:
    return 6 * cfg.steps_per_chunk if cfg.dataset == "didemo" else cfg.num_steps


def split_path(cfg: DataConfig, split: str) -> pathlib.Path:
    files = {"didemo": didemo.SPLIT_FILES, "qvhighlights": qvhighlights.SPLIT_FILES}.get(
        cfg.dataset, charades_sta.SPLIT_FILES)
    if split not in files:
        raise ConfigError(f"split {split!r} does not exist for {cfg.dataset} (have {sorted(files)})")
    return _resolve(cfg.root, files[split])


def read_split(cfg: DataConfig, split: str) -> tuple[list[Query], SplitReport]:
    """Queries of one split in file order (Charades-STA 'val' = held-out videos of train)."""
    if not cfg.root:
        raise ConfigError("data.root is empty: set it to the folder of the annotation files")
    held_out = cfg.dataset == "charades_sta" and split == "val"
    path = split_path(cfg, "train" if held_out else split)
    report = SplitReport(str(path))
    if cfg.dataset == "didemo":
        queries = didemo.read_didemo(path, report)
    elif cfg.dataset == "qvhighlights":
        queries = qvhighlights.read_qvhighlights(path, report)
    else:
        durations: dict[str, float] = {}
        for csv_name in charades_sta.CSV_FILES.values():
            p = _resolve(cfg.root, csv_name)
            if p.is_file():
                durations.update(charades_sta.read_durations(p))
        if not durations:
            raise DataFormatError(_resolve(cfg.root, charades_sta.CSV_FILES["test"]),
                                  "no Charades_v1_{train,test}.csv found next to the annotations")
        queries = charades_sta.read_charades_sta(path, durations, cfg.on_missing, report)
        if split in ("train", "val") and cfg.val_fraction > 0:
            vids = sorted({q.vid for q in queries})
            random.Random(1234).shuffle(vids)
            val_vids = set(vids[: int(round(len(vids) * cfg.val_fraction))])
            queries = [q for q in queries if (q.vid in val_vids) == held_out]
            report.queries, report.videos = len(queries), len({q.vid for q in queries})
    return queries, report


class Features:
    """RGB (+ optional flow, concatenated) steps for one video, pooled as the DataConfig says."""

    def __init__(self, cfg: DataConfig) -> None:
        if not cfg.features:
            raise ConfigError("data.features is empty: give the HDF5 file or the .npy/.npz folder")
        self.cfg = cfg
        self.rgb = FeatureStore(_resolve(cfg.root, cfg.features), cfg.features_format, cfg.npz_key)
        self.flow = FeatureStore(_resolve(cfg.root, cfg.flow_features), cfg.features_format, cfg.npz_key) \
            if cfg.flow_features else None

    def __contains__(self, vid: str) -> bool:
        return vid in self.rgb and (self.flow is None or vid in self.flow)

    def dim(self) -> int:
        return self.rgb.dim() + (self.flow.dim() if self.flow is not None else 0)

    def steps(self, q: Query) -> tuple[np.ndarray, np.ndarray]:
        parts = []
        for store in (self.rgb, self.flow):
            if store is None:
                continue
            f = store.get(q.vid)
            if self.cfg.dataset == "didemo":
                f, mask = didemo_steps(f, q.num_segments, self.cfg.steps_per_chunk, self.cfg.feature_rate or 5.0)
            else:
                if self.cfg.feature_rate > 0:
                    f = crop_to_duration(f, self.cfg.feature_rate, q.duration)
                f = average_to_fixed_length(f, self.cfg.num_steps)
                mask = np.ones(self.cfg.num_steps, dtype=np.float32)
            parts.append(normalize(f, self.cfg.normalize) * mask[:, None])
        return np.concatenate(parts, 1).astype(np.float32), mask

    def filter(self, queries: list[Query], report: SplitReport) -> list[Query]:
        """Drop (or refuse) queries whose video has no features; the report lists the videos."""
        missing = sorted({q.vid for q in queries if q.vid not in self})
        report.missing_features = sorted(set(report.missing_features) | set(missing))  # union over models
        if missing and self.cfg.on_missing == "error":
            raise DataFormatError(self.rgb.path, f"{len(missing)} video(s) have no features, e.g. {missing[0]!r}")
        return [q for q in queries if q.vid in self]


def target_continuous(q: Query, pair_index: int, t: int, k: int) -> tuple[float, float]:
    """The GT window in fractional steps (seconds * T / duration; DiDeMo: chunk bounds * k)."""
    if not q.gt:
        return 0.0, 1.0
    if q.times:
        a, b = q.times[pair_index]
        return float(a * k), float((b + 1) * k)
    s, e = q.gt[pair_index]
    return s / q.duration * t, e / q.duration * t


def target_steps(q: Query, pair_index: int, t: int, k: int) -> tuple[int, int]:
    """Inclusive ground-truth step indices of one annotator's window ((0, 0) for unlabelled queries)."""
    if not q.gt:
        return 0, 0
    if q.times:
        return didemo.chunk_to_steps(*q.times[pair_index], k)
    s, e = q.gt[pair_index]
    gs = int(np.floor(s / q.duration * t))
    ge = int(np.ceil(e / q.duration * t)) - 1
    gs = min(max(gs, 0), t - 1)
    return gs, min(max(ge, gs), t - 1)


class GroundingDataset(Dataset):
    """Items: video (T, D), video mask (T,), word ids (N,), target (2,) steps, query index."""

    def __init__(self, queries: list[Query], feats: Features, vocab: Vocab, cfg: DataConfig,
                 training: bool, seed: int = 0) -> None:
        self.queries, self.feats, self.vocab, self.cfg, self.training = queries, feats, vocab, cfg, training
        self.t = num_steps(cfg)
        self.rng = random.Random(seed)
        self.index: list[tuple[int, int]] = []
        for qi, q in enumerate(queries):
            if training and q.times and cfg.didemo_target == "all_annotators":
                self.index += [(qi, p) for p in range(len(q.times))]
            elif training and q.times and cfg.didemo_target == "consensus":
                self.index.append((qi, q.times.index(didemo.consensus_pair(q.times))))
            else:
                self.index.append((qi, -1))  # -1: random annotator (training) / first (evaluation)

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int):
        qi, p = self.index[i]
        q = self.queries[qi]
        if p < 0:
            p = self.rng.randrange(len(q.gt)) if self.training and q.gt else 0
        video, mask = self.feats.steps(q)
        gs, ge = target_steps(q, p, self.t, self.cfg.steps_per_chunk)
        cont = target_continuous(q, p, self.t, self.cfg.steps_per_chunk)
        words = self.vocab.encode(q.sentence, self.cfg.max_words)
        return (torch.from_numpy(video), torch.from_numpy(mask), torch.tensor(words, dtype=torch.long),
                torch.tensor([gs, ge], dtype=torch.long), qi, torch.tensor(cont, dtype=torch.float32))


def collate(batch):
    videos, masks, words, targets, qis, conts = zip(*batch)
    n = max(len(w) for w in words)
    word_ids = torch.zeros(len(batch), n, dtype=torch.long)
    word_mask = torch.zeros(len(batch), n)
    for i, w in enumerate(words):
        word_ids[i, : len(w)] = w
        word_mask[i, : len(w)] = 1.0
    return {"video": torch.stack(videos), "video_mask": torch.stack(masks), "words": word_ids,
            "word_mask": word_mask, "target": torch.stack(targets), "qi": torch.tensor(qis),
            "target_cont": torch.stack(conts)}
