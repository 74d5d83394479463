"""Datasets and transforms: CIFAR (random crop 32 pad 4 + flip; per-channel train mean/std) and
ImageNet (RandomResizedCrop + flip for training; resize 256 bilinear + center crop 224 for eval)."""

from __future__ import annotations

import pathlib

import numpy as np
import torch
from torch.utils.data import Dataset

from pkg_efficient.data.cifar import read_cifar
from pkg_efficient.data.imagenet import load_rgb, read_imagenet

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class CifarDataset(Dataset):
    """CIFAR split as normalised float tensors; augmentation done per item with a torch generator."""

    def __init__(self, root: str | pathlib.Path, dataset: str, split: str, augment: bool,
                 stats: tuple[np.ndarray, np.ndarray] | None = None, max_samples: int | None = None) -> None:
        s = read_cifar(root, dataset, split)
        self.classes = s.classes
        imgs, labels = s.images, s.labels
        if max_samples:
            imgs, labels = imgs[:max_samples], labels[:max_samples]
        if stats is None:  # per-channel mean/std of the *training* set, computed not hard-coded
            tr = read_cifar(root, dataset, "train").images.astype(np.float64) / 255.0
            stats = (tr.mean(axis=(0, 1, 2)), tr.std(axis=(0, 1, 2)) + 1e-8)
        self.stats = stats
        x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255.0
        mean = torch.tensor(stats[0], dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(stats[1], dtype=torch.float32).view(1, 3, 1, 1)
        self.x = (x - mean) / std
        self.y = torch.from_numpy(labels)
        self.augment = augment

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        x = self.x[i]
        if self.augment:
            dy, dx = torch.randint(0, 9, (2,)).tolist()
            x = torch.nn.functional.pad(x, (4, 4, 4, 4))[:, dy:dy + 32, dx:dx + 32]
            if torch.rand(()) < 0.5:
                x = x.flip(-1)
        return x, self.y[i]


class ImageNetDataset(Dataset):
    def __init__(self, root: str | pathlib.Path, split: str, train_aug: bool, input_size: int = 224,
                 resize: int = 256, scale: tuple[float, float] = (0.08, 1.0), layout: str = "auto",
                 max_samples: int | None = None) -> None:
        from torchvision import transforms as T

        s = read_imagenet(root, split, layout)
        self.samples = s.samples[:max_samples] if max_samples else s.samples
        self.classes = s.classes
        norm = T.Normalize(IMAGENET_MEAN, IMAGENET_STD)
        if train_aug:
            self.tf = T.Compose([T.RandomResizedCrop(input_size, scale=scale), T.RandomHorizontalFlip(), T.ToTensor(), norm])
        else:
            self.tf = T.Compose([T.Resize(resize, interpolation=T.InterpolationMode.BILINEAR),
                                 T.CenterCrop(input_size), T.ToTensor(), norm])

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):
        path, label = self.samples[i]
        return self.tf(load_rgb(path)), torch.tensor(label)


def worker_errors(batches):
    """Iterate a DataLoader, turning a user error raised in a worker process back into one.

    PyTorch re-raises a worker's exception by calling its type with one message; DataFormatError
    needs (path, problem), so it arrives as ``RuntimeError: Caught DataFormatError in DataLoader
    worker process 1`` plus the worker traceback. The last line of that traceback is our message."""
    from pkg_shared.errors import PkgError

    it = iter(batches)
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except RuntimeError as exc:
            text = str(exc)
            if "Caught DataFormatError" not in text and "Caught ConfigError" not in text:
                raise
            last = [ln for ln in text.strip().splitlines() if ln.strip()][-1]
            raise PkgError(last.split(": ", 1)[1] if last.startswith("pkg_shared.errors.") else last) from exc
        yield item


def preprocess_of(ds: Dataset, input_size: int) -> dict:
    """What inference on a user's image must repeat: input size, normalisation, class names
    (saved next to the weights so that ``efficient-infer`` needs no flags)."""
    if isinstance(ds, CifarDataset):
        mean, std = (tuple(float(v) for v in a) for a in ds.stats)
    else:
        mean, std = IMAGENET_MEAN, IMAGENET_STD
    return {"input_size": int(input_size), "mean": list(mean), "std": list(std), "classes": list(ds.classes)}


def build_dataset(dataset: str, root: str | pathlib.Path, split: str, *, augment: bool, input_size: int = 224,
                  imagenet_scale: tuple[float, float] = (0.08, 1.0), max_samples: int | None = None) -> Dataset:
    """``split`` is train/val; CIFAR's val is its official test batch."""
    if dataset in ("cifar10", "cifar100"):
        return CifarDataset(root, dataset, "train" if split == "train" else "test", augment, max_samples=max_samples)
    if dataset == "imagenet":
        return ImageNetDataset(root, split, augment, input_size, int(round(input_size * 256 / 224)),
                               imagenet_scale, max_samples=max_samples)
    from pkg_shared.errors import ConfigError

    raise ConfigError(f"unknown dataset {dataset!r} (cifar10, cifar100, imagenet)")
