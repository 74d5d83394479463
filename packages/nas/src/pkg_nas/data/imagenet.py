"""ILSVRC-2012 CLS-LOC: ``train/<wnid>/*.JPEG``; val either sorted into ``val/<wnid>/`` or flat
``val/ILSVRC2012_val_%08d.JPEG`` labelled by the devkit (ground truth holds ILSVRC2012_IDs 1..1000
whose order is NOT sorted-wnid order; ``meta.mat`` maps ID -> WNID). Auto-detected."""

from __future__ import annotations

import pathlib
from typing import Any

from pkg_shared.errors import DataFormatError
from pkg_shared.io.tables import parse_field, read_rows

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
DEVKIT = "ILSVRC2012_devkit_t12"
GT_FILE = "ILSVRC2012_validation_ground_truth.txt"


def train_wnids(root: str | pathlib.Path) -> list[str]:
    train = pathlib.Path(root) / "train"
    if not train.is_dir():
        raise DataFormatError(train, "ImageNet train/ folder not found")
    wnids = sorted(p.name for p in train.iterdir() if p.is_dir())
    if not wnids:
        raise DataFormatError(train, "no class folders")
    return wnids


def train_items(root: str | pathlib.Path) -> list[tuple[pathlib.Path, int]]:
    root = pathlib.Path(root)
    items = []
    for idx, w in enumerate(train_wnids(root)):
        files = sorted(p for p in (root / "train" / w).iterdir() if p.is_file())
        items.extend((p, idx) for p in files)
    return items


def find_devkit(root: pathlib.Path) -> pathlib.Path:
    for cand in (root / DEVKIT, root / "devkit" / DEVKIT, root / "val" / DEVKIT):
        if (cand / "data").is_dir():
            return cand / "data"
    raise DataFormatError(root / DEVKIT, "flat val/ layout needs the devkit (data/meta.mat and data/" + GT_FILE + ")")


def read_meta_mat(path: pathlib.Path) -> dict[int, str]:
    """ILSVRC2012_ID -> WNID of the leaf synsets (num_children == 0) from ``meta.mat``."""
    import scipy.io

    if not path.is_file():
        raise DataFormatError(path, "devkit meta.mat not found")
    try:
        synsets = scipy.io.loadmat(str(path), squeeze_me=False)["synsets"]
    except KeyError:
        raise DataFormatError(path, "no 'synsets' struct array") from None
    except Exception as exc:
        raise DataFormatError(path, f"not a readable MATLAB file ({exc})") from exc
    out = {}
    try:
        for row in synsets.reshape(-1):
            sid = int(row["ILSVRC2012_ID"].squeeze())
            wnid = str(row["WNID"].squeeze())
            if int(row["num_children"].squeeze()) == 0:
                out[sid] = wnid
    except (ValueError, IndexError) as exc:
        raise DataFormatError(path, f"synsets lack the fields ILSVRC2012_ID/WNID/num_children ({exc})") from exc
    return out


def val_layout(root: str | pathlib.Path) -> str:
    val = pathlib.Path(root) / "val"
    if not val.is_dir():
        raise DataFormatError(val, "ImageNet val/ folder not found")
    if any(p.is_dir() and p.name.startswith("n") for p in val.iterdir()):
        return "folders"
    return "flat"


def val_items(root: str | pathlib.Path) -> list[tuple[pathlib.Path, int]]:
    root = pathlib.Path(root)
    index = {w: i for i, w in enumerate(train_wnids(root))}
    if val_layout(root) == "folders":
        items = []
        for w in sorted(p.name for p in (root / "val").iterdir() if p.is_dir()):
            if w not in index:
                raise DataFormatError(root / "val" / w, "val class folder has no train counterpart")
            items.extend((p, index[w]) for p in sorted((root / "val" / w).iterdir()) if p.is_file())
        return items
    data = find_devkit(root)
    id2wnid = read_meta_mat(data / "meta.mat")
    gt = data / GT_FILE
    labels = []
    for lineno, f in read_rows(gt, delimiter=None, comment=None, min_fields=1, max_fields=1):
        sid = parse_field(gt, lineno, "ILSVRC2012_ID", f[0], int)
        if sid not in id2wnid:
            raise DataFormatError(gt, f"ILSVRC2012_ID {sid} is not a leaf synset of meta.mat", lineno)
        if id2wnid[sid] not in index:
            raise DataFormatError(gt, f"class {id2wnid[sid]} (ID {sid}) has no train folder", lineno)
        labels.append(index[id2wnid[sid]])
    files = sorted((root / "val").glob("ILSVRC2012_val_*.JPEG"))
    if len(files) != len(labels):
        raise DataFormatError(gt, f"{len(labels)} labels but {len(files)} val images in {root / 'val'}")
    return list(zip(files, labels))


def check(root: str | pathlib.Path) -> dict[str, Any]:
    report: dict[str, Any] = {"dataset": "imagenet", "root": str(root), "splits": {}, "problems": []}
    try:
        report["classes"] = len(train_wnids(root))
        report["val_layout"] = val_layout(root)
    except DataFormatError as exc:
        report["problems"].append(str(exc))
        return report
    for split, fn in (("train", train_items), ("val", val_items)):
        try:
            items = fn(root)
            counts = [0] * report["classes"]
            for _, y in items:
                counts[y] += 1
            report["splits"][split] = {"images": len(items), "per_class_min": min(counts), "per_class_max": max(counts)}
        except DataFormatError as exc:
            report["problems"].append(str(exc))
    return report
