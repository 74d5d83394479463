"""torch Datasets over the readers, with the recipes' transforms and the search's splits."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from pkg_nas.config import DataConfig
from pkg_nas.data import cifar100, imagenet, tiny_imagenet
from pkg_nas.data.splits import per_class_subset, stratified_holdout
from pkg_shared.errors import ConfigError, DataFormatError

STATS = {"cifar100": (cifar100.MEAN, cifar100.STD), "tiny-imagenet": (tiny_imagenet.MEAN, tiny_imagenet.STD),
         "imagenet": (imagenet.MEAN, imagenet.STD)}


class ArrayDataset(Dataset):
    """In-memory uint8 (N, 3, H, W) images: random crop with zero padding + flip, then normalise."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, mean, std, augment: bool, pad: int = 4) -> None:
        self.images = torch.from_numpy(np.ascontiguousarray(images))
        self.labels = torch.as_tensor(labels, dtype=torch.long)
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.std = torch.tensor(std).view(3, 1, 1)
        self.augment = augment
        self.pad = pad

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        x = self.images[i].float().div_(255.0)
        if self.augment:
            h, w = x.shape[1:]
            if self.pad > 0:
                x = torch.nn.functional.pad(x, (self.pad,) * 4)  # zero padding, before normalisation
                dy, dx = torch.randint(0, 2 * self.pad + 1, (2,)).tolist()
                x = x[:, dy : dy + h, dx : dx + w]
            if torch.rand(()) < 0.5:
                x = x.flip(2)
        return (x - self.mean) / self.std, self.labels[i]


def load_rgb(path: pathlib.Path):
    """PIL decode + convert("RGB"): grayscale/CMYK/PNG-named-.JPEG files all come out as RGB."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except FileNotFoundError:
        raise DataFormatError(path, "image file not found") from None
    except Exception as exc:
        raise DataFormatError(path, f"cannot decode image ({exc})") from exc


class FileDataset(Dataset):
    def __init__(self, items: Sequence[tuple[pathlib.Path, int]], transform) -> None:
        self.items = list(items)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int):
        path, y = self.items[i]
        return self.transform(load_rgb(path)), torch.tensor(y)


def file_transforms(dataset: str, size: int, pad: int, augment: bool):
    from torchvision import transforms as T

    mean, std = STATS[dataset]
    tail = [T.ToTensor(), T.Normalize(mean, std)]
    if dataset == "tiny-imagenet":
        if augment:
            return T.Compose([T.Resize(size), T.RandomCrop(size, padding=pad), T.RandomHorizontalFlip(), *tail])
        return T.Compose([T.Resize(size), *tail])
    if augment:
        return T.Compose([T.RandomResizedCrop(size), T.RandomHorizontalFlip(), *tail])
    return T.Compose([T.Resize(round(size * 256 / 224)), T.CenterCrop(size), *tail])


@dataclasses.dataclass
class Splits:
    """``train`` (augmented), ``train_eval`` (same images, eval transform: BN recalibration),
    ``val`` (held out from train; the search's only scoring data), ``test`` (official held-out split)."""

    train: Dataset
    train_eval: Dataset
    val: Dataset
    test: Dataset
    num_classes: int
    class_names: list[str]


def build_splits(cfg: DataConfig, input_size: int = 32) -> Splits:
    if not cfg.root:
        raise ConfigError("data.root is empty: point it at the dataset folder (see `nas-data make-fake`)")
    if cfg.dataset == "cifar100":
        x, y, _ = cifar100.read_split(cfg.root, "train")
        xt, yt, _ = cifar100.read_split(cfg.root, "test")
        names = cifar100.read_meta(cfg.root)["fine_label_names"]
        labels = y
    elif cfg.dataset == "tiny-imagenet":
        tr, te = tiny_imagenet.train_items(cfg.root), tiny_imagenet.val_items(cfg.root)
        words = tiny_imagenet.read_words(cfg.root)
        names = [f"{w} {words[w].split(',')[0]}" if w in words else w for w in tiny_imagenet.read_wnids(cfg.root)]
        labels = np.array([t[1] for t in tr])
    else:
        tr, te = imagenet.train_items(cfg.root), imagenet.val_items(cfg.root)
        names = imagenet.train_wnids(cfg.root)
        labels = np.array([t[1] for t in tr])
    pool = np.arange(len(labels))
    if cfg.max_per_class is not None:
        pool = per_class_subset(labels, cfg.max_per_class, cfg.split_seed)
    rest, held = stratified_holdout(labels[pool], cfg.val_per_class, cfg.split_seed)
    train_idx = pool if cfg.train_on == "train" else pool[rest]
    val_idx = pool[held]
    mean, std = STATS[cfg.dataset]
    if cfg.dataset == "cifar100":
        def mk(idx, aug):
            return ArrayDataset(x[idx], y[idx], mean, std, aug, cfg.pad)

        test = ArrayDataset(xt, yt, mean, std, False)
    else:
        aug_t = file_transforms(cfg.dataset, input_size, cfg.pad, True)
        eval_t = file_transforms(cfg.dataset, input_size, cfg.pad, False)

        def mk(idx, aug):
            return FileDataset([tr[i] for i in idx], aug_t if aug else eval_t)

        test = FileDataset(te, eval_t)
    return Splits(mk(train_idx, cfg.augment), mk(train_idx, False), mk(val_idx, False), test, len(names), names)
