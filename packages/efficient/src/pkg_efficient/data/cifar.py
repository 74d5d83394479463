"""CIFAR-10 / CIFAR-100 "python version" pickles, read exactly as distributed, and a writer of
tiny byte-compatible copies for tests and the demo.

CIFAR-10: ``cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}``; CIFAR-100:
``cifar-100-python/{train, test, meta}``. Each batch is a (python 2) pickle of a dict with bytes
keys: ``b"data"`` uint8 N x 3072 (1024 R, 1024 G, 1024 B, each 32x32 row-major), labels,
``b"filenames"``, ``b"batch_label"``.
"""

from __future__ import annotations

import dataclasses
import pathlib
import pickle

import numpy as np

from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_write_bytes

FOLDERS = {"cifar10": "cifar-10-batches-py", "cifar100": "cifar-100-python"}
FILES = {
    "cifar10": {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"], "meta": "batches.meta"},
    "cifar100": {"train": ["train"], "test": ["test"], "meta": "meta"},
}
LABEL_KEY = {"cifar10": b"labels", "cifar100": b"fine_labels"}
NAMES_KEY = {"cifar10": b"label_names", "cifar100": b"fine_label_names"}
NUM_CLASSES = {"cifar10": 10, "cifar100": 100}


@dataclasses.dataclass
class CifarSplit:
    images: np.ndarray  # N x 32 x 32 x 3 uint8 (HWC, RGB)
    labels: np.ndarray  # N int64
    classes: list[str]
    files: list[str]


def find_root(root: str | pathlib.Path, dataset: str) -> pathlib.Path:
    """Accept the official folder itself or its parent."""
    root = pathlib.Path(root)
    if dataset not in FOLDERS:
        raise DataFormatError(root, f"unknown CIFAR dataset {dataset!r} (cifar10 or cifar100)")
    if (root / FOLDERS[dataset]).is_dir():
        return root / FOLDERS[dataset]
    if (root / FILES[dataset]["meta"]).is_file():
        return root
    raise DataFormatError(root, f"no {FOLDERS[dataset]}/ folder (or its files) found")


def _load(path: pathlib.Path) -> dict:
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    try:
        with open(path, "rb") as fh:
            obj = pickle.load(fh, encoding="bytes")
    except Exception as exc:
        raise DataFormatError(path, f"not a readable CIFAR pickle ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, dict):
        raise DataFormatError(path, f"expected a pickled dict, found {type(obj).__name__}")
    return obj


def _names(path: pathlib.Path, meta: dict, key: bytes) -> list[str]:
    if key not in meta:
        raise DataFormatError(path, f"missing key {key!r}")
    return [n.decode() if isinstance(n, bytes) else str(n) for n in meta[key]]


def read_cifar(root: str | pathlib.Path, dataset: str = "cifar10", split: str = "train",
               problems: list[DataFormatError] | None = None) -> CifarSplit:
    """Decode one split to HWC uint8 images and int64 labels (errors name the file). With a
    ``problems`` list (``efficient-data check``) a bad batch file is recorded there and skipped."""
    from pkg_efficient.data.imagenet import report

    folder = find_root(root, dataset)
    files = FILES[dataset]
    if split not in ("train", "test"):
        raise DataFormatError(folder, f"unknown split {split!r} (train or test)")
    meta_path = folder / files["meta"]
    classes = _names(meta_path, _load(meta_path), NAMES_KEY[dataset])
    images, labels, names = [], [], []
    for fname in files[split]:
        path = folder / fname
        try:
            d, data, lab = _batch(path, dataset, len(classes))
        except DataFormatError as exc:
            report(problems, exc)
            continue
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(lab)
        names += [n.decode() if isinstance(n, bytes) else str(n) for n in d.get(b"filenames", [])]
    if not images:  # every batch file was bad (collecting problems)
        return CifarSplit(np.zeros((0, 32, 32, 3), np.uint8), np.zeros(0, np.int64), classes, [])
    return CifarSplit(np.concatenate(images), np.concatenate(labels), classes, names)


def _batch(path: pathlib.Path, dataset: str, num_classes: int) -> tuple[dict, np.ndarray, np.ndarray]:
    d = _load(path)
    for key in (b"data", LABEL_KEY[dataset]):
        if key not in d:
            raise DataFormatError(path, f"missing key {key!r}; keys are {sorted(d)}")
    data = np.asarray(d[b"data"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise DataFormatError(path, f"b'data' must be uint8 N x 3072, found {data.dtype} {data.shape}")
    try:
        lab = np.asarray(d[LABEL_KEY[dataset]], dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(path, f"labels are not a list of integers ({exc})") from exc
    if lab.shape != (data.shape[0],):
        raise DataFormatError(path, f"{len(lab)} labels for {data.shape[0]} images")
    if lab.size and (lab.min() < 0 or lab.max() >= num_classes):
        bad = np.nonzero((lab < 0) | (lab >= num_classes))[0]
        raise DataFormatError(path, f"{len(bad)} label(s) outside 0..{num_classes - 1} (first: {int(lab[bad[0]])} "
                                    f"of image {int(bad[0])})")
    return d, data, lab


def _dump(path: pathlib.Path, obj: dict) -> None:
    atomic_write_bytes(path, pickle.dumps(obj, protocol=2))


def write_fake_cifar(out: str | pathlib.Path, dataset: str = "cifar10", n_train: int = 20, n_test: int = 20,
                     seed: int = 0, num_classes: int | None = None, learnable: bool = True) -> pathlib.Path:
    """Write a tiny dataset in the official layout; returns the dataset folder.

    ``learnable`` draws each class from its own colour/stripe pattern plus noise, so that a short
    training run can actually learn it (demo and overfit tests).
    """
    rng = np.random.default_rng(seed)
    k = num_classes or NUM_CLASSES[dataset]
    folder = pathlib.Path(out) / FOLDERS[dataset]
    folder.mkdir(parents=True, exist_ok=True)
    protos = rng.integers(0, 256, size=(k, 3, 32, 32))
    yy, xx = np.mgrid[0:32, 0:32]
    for c in range(k):
        protos[c, c % 3] = ((np.sin((xx * (1 + c % 4) + yy * (c // 4)) / 3.0) + 1) * 127).astype(np.int64)

    def make(n: int, batch_label: str, start: int) -> dict:
        labels = [int(v) for v in rng.integers(0, k, size=n)] if n else []
        if learnable:
            noise = rng.normal(0, 40, size=(n, 3, 32, 32))
            imgs = np.clip(protos[labels] + noise, 0, 255).astype(np.uint8) if n else np.zeros((0, 3, 32, 32), np.uint8)
        else:
            imgs = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
        d = {b"batch_label": batch_label.encode(), b"data": imgs.reshape(n, 3072),
             b"filenames": [f"fake_{start + i:05d}.png".encode() for i in range(n)]}
        if dataset == "cifar10":
            d[b"labels"] = labels
        else:
            d[b"fine_labels"] = labels
            d[b"coarse_labels"] = [lab // 5 for lab in labels]
        return d

    if dataset == "cifar10":
        names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        names = (names + [f"class{i}" for i in range(10, k)])[:k]
        per = [n_train // 5 + (1 if i < n_train % 5 else 0) for i in range(5)]
        start = 0
        for i, n in enumerate(per, 1):
            _dump(folder / f"data_batch_{i}", make(n, f"training batch {i} of 5", start))
            start += n
        _dump(folder / "test_batch", make(n_test, "testing batch 1 of 1", start))
        _dump(folder / "batches.meta", {b"num_cases_per_batch": max(per), b"label_names": [n.encode() for n in names],
                                        b"num_vis": 3072})
    else:
        _dump(folder / "train", make(n_train, "training batch 1 of 1", 0))
        _dump(folder / "test", make(n_test, "testing batch 1 of 1", n_train))
        _dump(folder / "meta", {b"fine_label_names": [f"fine{i}".encode() for i in range(k)],
                                b"coarse_label_names": [f"coarse{i}".encode() for i in range((k + 4) // 5)]})
    return folder
