"""Tiny-ImageNet (``tiny-imagenet-200/``): class folders for train, one flat val folder labelled by
``val/val_annotations.txt``, unlabelled test. Class index = position in ``sorted(wnids)``."""

from __future__ import annotations

import pathlib
from typing import Any

from pkg_shared.errors import DataFormatError
from pkg_shared.io.tables import parse_field, read_rows

MEAN = (0.4802, 0.4481, 0.3975)
STD = (0.2302, 0.2265, 0.2262)
FOLDER = "tiny-imagenet-200"


def locate(root: str | pathlib.Path) -> pathlib.Path:
    root = pathlib.Path(root)
    for cand in (root, root / FOLDER):
        if (cand / "wnids.txt").is_file():
            return cand
    if not root.exists():
        raise DataFormatError(root, "dataset root not found")
    raise DataFormatError(root, f"no Tiny-ImageNet data: expected {FOLDER}/wnids.txt")


def read_wnids(root: str | pathlib.Path) -> list[str]:
    path = locate(root) / "wnids.txt"
    wnids = []
    for lineno, fields in read_rows(path, delimiter=None, comment=None, min_fields=1, max_fields=1):
        w = fields[0]
        if not (w.startswith("n") and w[1:].isdigit()):
            raise DataFormatError(path, f"not a WordNet id: {w!r}", lineno)
        wnids.append(w)
    if not wnids:
        raise DataFormatError(path, "no WordNet ids")
    if len(set(wnids)) != len(wnids):
        raise DataFormatError(path, "duplicate WordNet ids")
    return sorted(wnids)


def read_words(root: str | pathlib.Path) -> dict[str, str]:
    """wnid -> human-readable names from ``words.txt`` (optional file; empty dict when absent)."""
    path = locate(root) / "words.txt"
    if not path.is_file():
        return {}
    return {f[0]: f[1] for _, f in read_rows(path, delimiter="\t", comment=None, min_fields=2, max_fields=2)}


def train_items(root: str | pathlib.Path) -> list[tuple[pathlib.Path, int]]:
    base = locate(root)
    wnids = read_wnids(base)
    items = []
    for idx, w in enumerate(wnids):
        folder = base / "train" / w / "images"
        if not folder.is_dir():
            raise DataFormatError(folder, f"train folder of class {w} missing")
        files = sorted(p for p in folder.iterdir() if p.suffix.upper() == ".JPEG")
        if not files:
            raise DataFormatError(folder, "no .JPEG images")
        items.extend((p, idx) for p in files)
    return items


def val_items(root: str | pathlib.Path) -> list[tuple[pathlib.Path, int]]:
    """Labels from ``val_annotations.txt``: file, wnid, x0, y0, x1, y1 (tab-separated)."""
    base = locate(root)
    index = {w: i for i, w in enumerate(read_wnids(base))}
    ann = base / "val" / "val_annotations.txt"
    items = []
    for lineno, f in read_rows(ann, delimiter="\t", comment=None, min_fields=6, max_fields=6):
        if f[1] not in index:
            raise DataFormatError(ann, f"unknown wnid {f[1]!r} (not in wnids.txt)", lineno)
        for name, v in zip(("x0", "y0", "x1", "y1"), f[2:]):
            parse_field(ann, lineno, name, v, int)
        path = base / "val" / "images" / f[0]
        if not path.is_file():
            raise DataFormatError(ann, f"image {f[0]} listed but missing from val/images/", lineno)
        items.append((path, index[f[1]]))
    if not items:
        raise DataFormatError(ann, "no annotations")
    return items


def test_items(root: str | pathlib.Path) -> list[pathlib.Path]:
    folder = locate(root) / "test" / "images"
    return sorted(folder.glob("*.JPEG")) if folder.is_dir() else []


def check(root: str | pathlib.Path) -> dict[str, Any]:
    report: dict[str, Any] = {"dataset": "tiny-imagenet", "root": str(root), "splits": {}, "problems": []}
    try:
        base = locate(root)
        wnids = read_wnids(base)
        report["classes"] = len(wnids)
    except DataFormatError as exc:
        report["problems"].append(str(exc))
        return report
    for split, fn in (("train", train_items), ("val", val_items)):
        try:
            items = fn(base)
            counts = [0] * len(wnids)
            for _, y in items:
                counts[y] += 1
            report["splits"][split] = {"images": len(items), "per_class_min": min(counts), "per_class_max": max(counts)}
        except DataFormatError as exc:
            report["problems"].append(str(exc))
    for w in wnids:
        boxes = base / "train" / w / f"{w}_boxes.txt"
        try:
            for _lineno, _f in read_rows(boxes, delimiter="\t", comment=None, min_fields=5, max_fields=5):
                pass
        except DataFormatError as exc:
            report["problems"].append(str(exc))
    report["splits"]["test"] = {"images": len(test_items(base)), "labelled": False}
    return report
