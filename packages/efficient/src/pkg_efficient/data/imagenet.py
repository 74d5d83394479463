"""ILSVRC-2012 classification in its three common on-disk layouts (no conversion step).

1. raw: ``train/<wnid>/*.JPEG``, flat ``val/ILSVRC2012_val_XXXXXXXX.JPEG`` and the devkit
   ``ILSVRC2012_devkit_t12/data/{meta.mat, ILSVRC2012_validation_ground_truth.txt}``;
2. folder: ``val/<wnid>/*.JPEG`` (torchvision / ImageFolder);
3. kaggle: ``ILSVRC/Data/CLS-LOC/{train,val}``, ``LOC_synset_mapping.txt``, ``LOC_val_solution.csv``.

Class index = position of the WNID in the sorted WNID list (torchvision's convention); devkit
ILSVRC2012_IDs are mapped through meta.mat (devkit ID 1 is not index 0).
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

import numpy as np

from pkg_shared.errors import DataFormatError
from pkg_shared.io.tables import parse_field, read_rows

IMG_EXT = (".jpeg", ".jpg", ".png")
DEVKIT = pathlib.Path("ILSVRC2012_devkit_t12") / "data"
KAGGLE = pathlib.Path("ILSVRC") / "Data" / "CLS-LOC"
_VAL_RE = re.compile(r"ILSVRC2012_val_(\d{8})\.JPEG$", re.IGNORECASE)


@dataclasses.dataclass
class ImageNetSplit:
    samples: list[tuple[pathlib.Path, int]]
    classes: list[str]  # sorted WNIDs
    layout: str


def detect_layout(root: pathlib.Path) -> str:
    if (root / KAGGLE).is_dir():
        return "kaggle"
    val = root / "val"
    if (root / DEVKIT / "meta.mat").is_file():
        return "raw"
    if val.is_dir() and any(p.is_dir() for p in val.iterdir()):
        return "folder"
    if (root / "train").is_dir():
        return "folder"
    raise DataFormatError(root, "not an ImageNet root: expected train/ + val/ (with devkit or class folders) "
                                "or ILSVRC/Data/CLS-LOC/")


def _class_folders(folder: pathlib.Path) -> list[str]:
    if not folder.is_dir():
        raise DataFormatError(folder, "folder not found")
    return sorted(p.name for p in folder.iterdir() if p.is_dir())


def _images_in(folder: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMG_EXT)


def _folder_samples(folder: pathlib.Path, classes: list[str]) -> list[tuple[pathlib.Path, int]]:
    index = {w: i for i, w in enumerate(classes)}
    out = []
    for w in _class_folders(folder):
        if w not in index:
            raise DataFormatError(folder / w, f"class folder {w!r} is not one of the {len(classes)} known WNIDs")
        out += [(p, index[w]) for p in _images_in(folder / w)]
    return out


def read_meta_mat(path: pathlib.Path) -> dict[int, str]:
    """devkit ILSVRC2012_ID -> WNID for the leaf synsets (num_children == 0)."""
    if not path.is_file():
        raise DataFormatError(path, "devkit meta.mat not found")
    try:
        import scipy.io

        syn = scipy.io.loadmat(str(path), squeeze_me=True)["synsets"]
        ids = [int(v) for v in np.atleast_1d(syn["ILSVRC2012_ID"])]
        wnids = [str(v) for v in np.atleast_1d(syn["WNID"])]
        kids = [int(v) for v in np.atleast_1d(syn["num_children"])]
    except Exception as exc:
        raise DataFormatError(path, f"cannot read the synsets struct ({type(exc).__name__}: {exc})") from exc
    return {i: w for i, w, k in zip(ids, wnids, kids) if k == 0}


def read_val_ground_truth(path: pathlib.Path, num_ids: int) -> list[int]:
    """One devkit ID (1..num_ids) per line, in validation file-number order."""
    if not path.is_file():
        raise DataFormatError(path, "validation ground-truth file not found")
    out = []
    for lineno, fields in read_rows(path, delimiter=None, comment=None, min_fields=1, max_fields=1):
        v = parse_field(path, lineno, "ILSVRC2012_ID", fields[0], int)
        if not 1 <= v <= num_ids:
            raise DataFormatError(path, f"ILSVRC2012_ID {v} outside 1..{num_ids}", lineno)
        out.append(v)
    return out


def read_synset_mapping(path: pathlib.Path) -> list[str]:
    """Kaggle ``LOC_synset_mapping.txt``: ``<wnid> <names>`` per line."""
    if not path.is_file():
        raise DataFormatError(path, "LOC_synset_mapping.txt not found")
    wnids = []
    for lineno, fields in read_rows(path, delimiter=None, comment=None, min_fields=1):
        if not re.fullmatch(r"n\d{8}", fields[0]):
            raise DataFormatError(path, f"expected a WNID like n01440764, found {fields[0]!r}", lineno)
        wnids.append(fields[0])
    return sorted(wnids)


def read_val_solution(path: pathlib.Path, classes: list[str]) -> dict[str, int]:
    """Kaggle ``LOC_val_solution.csv``: ``ImageId,PredictionString``; first token = WNID."""
    if not path.is_file():
        raise DataFormatError(path, "LOC_val_solution.csv not found")
    index = {w: i for i, w in enumerate(classes)}
    out: dict[str, int] = {}
    for lineno, fields in read_rows(path, delimiter=",", comment=None):
        if lineno == 1:
            if [f.strip() for f in fields[:2]] != ["ImageId", "PredictionString"]:
                raise DataFormatError(path, f"header must be ImageId,PredictionString, found {fields}", 1)
            continue
        if len(fields) != 2 or not fields[1].split():
            raise DataFormatError(path, f"expected ImageId,PredictionString, found {','.join(fields)!r}", lineno)
        wnid = fields[1].split()[0]
        if wnid not in index:
            raise DataFormatError(path, f"unknown WNID {wnid!r}", lineno)
        out[fields[0].strip()] = index[wnid]
    return out


def read_imagenet(root: str | pathlib.Path, split: str = "val", layout: str = "auto") -> ImageNetSplit:
    """List (path, class index) pairs of one split; every format problem raises DataFormatError."""
    root = pathlib.Path(root)
    if not root.is_dir():
        raise DataFormatError(root, "ImageNet root folder not found")
    if split not in ("train", "val"):
        raise DataFormatError(root, f"unknown split {split!r} (train or val)")
    layout = detect_layout(root) if layout == "auto" else layout
    if layout == "kaggle":
        classes = read_synset_mapping(root / "LOC_synset_mapping.txt")
        base = root / KAGGLE / split
        if split == "train":
            return ImageNetSplit(_folder_samples(base, classes), classes, layout)
        sol = read_val_solution(root / "LOC_val_solution.csv", classes)
        samples = []
        for p in _images_in(base):
            if p.stem not in sol:
                raise DataFormatError(root / "LOC_val_solution.csv", f"no label for validation image {p.name}")
            samples.append((p, sol[p.stem]))
        return ImageNetSplit(samples, classes, layout)
    if layout == "raw":
        id2wnid = read_meta_mat(root / DEVKIT / "meta.mat")
        classes = sorted(id2wnid.values())
        if split == "train":
            return ImageNetSplit(_folder_samples(root / "train", classes), classes, layout)
        gt_path = root / DEVKIT / "ILSVRC2012_validation_ground_truth.txt"
        gt = read_val_ground_truth(gt_path, len(id2wnid))
        index = {w: i for i, w in enumerate(classes)}
        samples = []
        for p in _images_in(root / "val"):
            m = _VAL_RE.search(p.name)
            if not m:
                raise DataFormatError(p, "validation file name is not ILSVRC2012_val_<8 digits>.JPEG")
            num = int(m.group(1))
            if num > len(gt):
                raise DataFormatError(gt_path, f"has {len(gt)} lines but {p.name} needs line {num}")
            wnid = id2wnid.get(gt[num - 1])
            if wnid is None:
                raise DataFormatError(gt_path, f"ILSVRC2012_ID {gt[num - 1]} is not a leaf synset of meta.mat", num)
            samples.append((p, index[wnid]))
        return ImageNetSplit(samples, classes, layout)
    if layout == "folder":
        classes = _class_folders(root / "train") if (root / "train").is_dir() else _class_folders(root / "val")
        return ImageNetSplit(_folder_samples(root / split, classes), classes, layout)
    raise DataFormatError(root, f"unknown layout {layout!r} (auto, raw, folder, kaggle)")


def load_rgb(path: pathlib.Path):
    """Decode with Pillow and convert to RGB (CMYK, grayscale and PNG-named-.JPEG files exist)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except Exception as exc:
        raise DataFormatError(path, f"cannot decode image ({type(exc).__name__}: {exc})") from exc
