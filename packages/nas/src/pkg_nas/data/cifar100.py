"""CIFAR-100 "python version": ``cifar-100-python/{train,test,meta}`` pickles (or the .tar.gz).

Each file is a Python-2 pickle of a dict; we load with ``encoding="bytes"`` and accept both
bytes and str keys. ``data`` is uint8 N x 3072 = 1024 R, 1024 G, 1024 B values (32x32 row-major
planes) -> reshape to (N, 3, 32, 32). Labels are ``fine_labels`` (0..99).
"""

from __future__ import annotations

import pathlib
import pickle
import tarfile
from typing import Any

import numpy as np

from pkg_shared.errors import DataFormatError

MEAN = (0.5071, 0.4865, 0.4409)
STD = (0.2673, 0.2564, 0.2762)
NUM_CLASSES = 100
FOLDER = "cifar-100-python"
ARCHIVE = "cifar-100-python.tar.gz"


def _norm_keys(d: dict) -> dict[str, Any]:
    return {(k.decode("latin1") if isinstance(k, bytes) else str(k)): v for k, v in d.items()}


def _unpickle(raw: bytes, where: pathlib.Path) -> dict[str, Any]:
    try:
        obj = pickle.loads(raw, encoding="bytes")
    except Exception as exc:
        raise DataFormatError(where, f"not a readable CIFAR pickle ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, dict):
        raise DataFormatError(where, f"expected a pickled dict, found {type(obj).__name__}")
    return _norm_keys(obj)


def locate(root: str | pathlib.Path) -> pathlib.Path:
    """The ``cifar-100-python`` folder or archive under/at ``root``."""
    root = pathlib.Path(root)
    for cand in (root, root / FOLDER, root / ARCHIVE):
        if cand.is_dir() and (cand / "meta").is_file():
            return cand
        if cand.is_file() and cand.name.endswith((".tar.gz", ".tgz")):
            return cand
    if not root.exists():
        raise DataFormatError(root, "dataset root not found")
    raise DataFormatError(root, f"no CIFAR-100 data: expected {FOLDER}/ with train, test, meta (or {ARCHIVE})")


def _read_member(src: pathlib.Path, name: str) -> tuple[bytes, pathlib.Path]:
    if src.is_dir():
        path = src / name
        if not path.is_file():
            raise DataFormatError(path, "file missing from the CIFAR-100 folder")
        return path.read_bytes(), path
    try:
        with tarfile.open(src, "r:gz") as tar:
            member = tar.getmember(f"{FOLDER}/{name}")
            fh = tar.extractfile(member)
            assert fh is not None
            return fh.read(), src / name
    except KeyError:
        raise DataFormatError(src, f"archive has no member {FOLDER}/{name}") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataFormatError(src, f"not a readable .tar.gz ({exc})") from exc


def read_meta(root: str | pathlib.Path) -> dict[str, list[str]]:
    raw, where = _read_member(locate(root), "meta")
    meta = _unpickle(raw, where)
    out = {}
    for key in ("fine_label_names", "coarse_label_names"):
        if key not in meta:
            raise DataFormatError(where, f"missing key {key!r} (keys: {sorted(meta)})")
        out[key] = [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in meta[key]]
    return out


def read_split(root: str | pathlib.Path, split: str = "train") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images uint8 (N, 3, 32, 32), fine labels int64 (N,), coarse labels int64 (N,))."""
    if split not in ("train", "test"):
        raise DataFormatError(root, f"CIFAR-100 has splits train and test, not {split!r}")
    raw, where = _read_member(locate(root), split)
    d = _unpickle(raw, where)
    for key in ("data", "fine_labels", "coarse_labels"):
        if key not in d:
            raise DataFormatError(where, f"missing key {key!r} (keys: {sorted(d)})")
    data = np.asarray(d["data"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise DataFormatError(where, f"'data' must be uint8 N x 3072, found {data.dtype} {data.shape}")
    fine = np.asarray(d["fine_labels"], dtype=np.int64)
    coarse = np.asarray(d["coarse_labels"], dtype=np.int64)
    if len(fine) != len(data) or len(coarse) != len(data):
        raise DataFormatError(where, f"{len(data)} images but {len(fine)} fine / {len(coarse)} coarse labels")
    if len(fine) and (fine.min() < 0 or fine.max() >= NUM_CLASSES):
        raise DataFormatError(where, f"fine label out of range 0..99 (min {fine.min()}, max {fine.max()})")
    if len(coarse) and (coarse.min() < 0 or coarse.max() >= 20):
        raise DataFormatError(where, "coarse label out of range 0..19")
    return data.reshape(-1, 3, 32, 32), fine, coarse


def check(root: str | pathlib.Path) -> dict[str, Any]:
    """Per-split statistics and every format problem found (problems do not stop the check)."""
    report: dict[str, Any] = {"dataset": "cifar100", "root": str(root), "splits": {}, "problems": []}
    try:
        src = locate(root)
        report["layout"] = "archive" if src.is_file() else "folder"
        meta = read_meta(root)
        report["classes"] = len(meta["fine_label_names"])
        if len(meta["fine_label_names"]) != NUM_CLASSES:
            report["problems"].append(f"meta: {len(meta['fine_label_names'])} fine label names, expected 100")
    except DataFormatError as exc:
        report["problems"].append(str(exc))
        return report
    for split in ("train", "test"):
        try:
            x, fine, _ = read_split(root, split)
        except DataFormatError as exc:
            report["problems"].append(str(exc))
            continue
        counts = np.bincount(fine, minlength=NUM_CLASSES)
        report["splits"][split] = {
            "images": int(len(x)),
            "classes_present": int((counts > 0).sum()),
            "per_class_min": int(counts.min()),
            "per_class_max": int(counts.max()),
        }
    return report
