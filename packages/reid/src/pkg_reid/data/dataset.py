"""Torch datasets over ``Sample`` lists and the dataset dispatch (explicit dict of readers)."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from pkg_reid.config import DataConfig
from pkg_reid.data import cuhk03, dukemtmc, market1501
from pkg_reid.data.common import ReidSplits, Sample
from pkg_shared.errors import ConfigError
from pkg_shared.io.image import read_image


def load_splits(cfg: DataConfig, root: str | None = None, collect_problems: bool = False) -> ReidSplits:
    root = root or cfg.root
    if not root:
        raise ConfigError("no dataset root: pass --root DIR or set data.root")
    if cfg.dataset == "market1501":
        return market1501.read(root, collect_problems=collect_problems, distractors=cfg.market_distractors)
    if cfg.dataset == "dukemtmcreid":
        return dukemtmc.read(root, collect_problems=collect_problems)
    if cfg.dataset == "cuhk03":
        return cuhk03.read(root, version=cfg.cuhk03_version, protocol=cfg.cuhk03_protocol, split=cfg.cuhk03_split)
    raise ConfigError(f"unknown dataset {cfg.dataset!r}")


class ImageDataset(Dataset):
    """Returns (image tensor, label, camid, index). ``labels`` maps pid -> training label."""

    def __init__(self, samples: list[Sample], transform, labels: dict[int, int] | None = None) -> None:
        self.samples = samples
        self.transform = transform
        self.labels = labels

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):
        s = self.samples[i]
        x = self.transform(read_image(s.path))
        label = self.labels[s.pid] if self.labels is not None else s.pid
        return x, torch.tensor(label), torch.tensor(s.camid), torch.tensor(i)
