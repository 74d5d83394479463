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


def report(problems: list[DataFormatError] | None, err: DataFormatError) -> None:
    """Raise ``err``, or, when collecting (``efficient-data check``), record it and go on."""
    if problems is None:
        raise err
    problems.append(err)


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


def _folder_samples(folder: pathlib.Path, classes: list[str],
                    problems: list[DataFormatError] | None = None) -> list[tuple[pathlib.Path, int]]:
    index = {w: i for i, w in enumerate(classes)}
    out = []
    for w in _class_folders(folder):
        if w not in index:
            report(problems, DataFormatError(folder / w, f"class folder {w!r} is not one of the {len(classes)} known WNIDs"))
            continue
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


def read_val_ground_truth(path: pathlib.Path, num_ids: int,
                          problems: list[DataFormatError] | None = None) -> list[int | None]:
    """One devkit ID (1..num_ids) per line, in validation file-number order: line k labels image k,
    so a blank line inside the file is a problem (skipping it would shift every later label).
    Collecting problems, a bad line's entry is None."""
    if not path.is_file():
        raise DataFormatError(path, "validation ground-truth file not found")
    rows = list(read_rows(path, delimiter=None, comment=None, skip_blank=False))
    while rows and not rows[-1][1]:  # blank lines at the very end are harmless
        rows.pop()
    out: list[int | None] = []
    for lineno, fields in rows:
        out.append(None)
        if len(fields) != 1:
            report(problems, DataFormatError(path, f"expected one ILSVRC2012_ID, found {len(fields)} fields", lineno))
            continue
        try:
            v = parse_field(path, lineno, "ILSVRC2012_ID", fields[0], int)
        except DataFormatError as exc:
            report(problems, exc)
            continue
        if not 1 <= v <= num_ids:
            report(problems, DataFormatError(path, f"ILSVRC2012_ID {v} outside 1..{num_ids}", lineno))
            continue
        out[-1] = v
    return out


def read_synset_mapping(path: pathlib.Path, problems: list[DataFormatError] | None = None) -> list[str]:
    """Kaggle ``LOC_synset_mapping.txt``: ``<wnid> <names>`` per line."""
    if not path.is_file():
        raise DataFormatError(path, "LOC_synset_mapping.txt not found")
    wnids = []
    for lineno, fields in read_rows(path, delimiter=None, comment=None, min_fields=1):
        if not re.fullmatch(r"n\d{8}", fields[0]):
            report(problems, DataFormatError(path, f"expected a WNID like n01440764, found {fields[0]!r}", lineno))
            continue
        wnids.append(fields[0])
    return sorted(wnids)


def read_val_solution(path: pathlib.Path, classes: list[str],
                      problems: list[DataFormatError] | None = None) -> dict[str, int]:
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
            report(problems, DataFormatError(path, f"expected ImageId,PredictionString, found {','.join(fields)!r}", lineno))
            continue
        wnid = fields[1].split()[0]
        if wnid not in index:
            report(problems, DataFormatError(path, f"unknown WNID {wnid!r}", lineno))
            continue
        out[fields[0].strip()] = index[wnid]
    return out


def read_imagenet(root: str | pathlib.Path, split: str = "val", layout: str = "auto",
                  problems: list[DataFormatError] | None = None) -> ImageNetSplit:
    """List (path, class index) pairs of one split; a format problem raises DataFormatError, or,
    with a ``problems`` list (``efficient-data check``), is recorded there and the item skipped."""
    root = pathlib.Path(root)
    if not root.is_dir():
        raise DataFormatError(root, "ImageNet root folder not found")
    if split not in ("train", "val"):
        raise DataFormatError(root, f"unknown split {split!r} (train or val)")
    layout = detect_layout(root) if layout == "auto" else layout
    if layout == "kaggle":
        classes = read_synset_mapping(root / "LOC_synset_mapping.txt", problems)
        base = root / KAGGLE / split
        if split == "train":
            return ImageNetSplit(_folder_samples(base, classes, problems), classes, layout)
        sol = read_val_solution(root / "LOC_val_solution.csv", classes, problems)
        samples = []
        for p in _images_in(base):
            if p.stem not in sol:
                report(problems, DataFormatError(root / "LOC_val_solution.csv", f"no label for validation image {p.name}"))
                continue
            samples.append((p, sol[p.stem]))
        return ImageNetSplit(samples, classes, layout)
    if layout == "raw":
        id2wnid = read_meta_mat(root / DEVKIT / "meta.mat")
        classes = sorted(id2wnid.values())
        if split == "train":
            return ImageNetSplit(_folder_samples(root / "train", classes, problems), classes, layout)
        gt_path = root / DEVKIT / "ILSVRC2012_validation_ground_truth.txt"
        gt = read_val_ground_truth(gt_path, len(id2wnid), problems)
        index = {w: i for i, w in enumerate(classes)}
        samples = []
        for p in _images_in(root / "val"):
            m = _VAL_RE.search(p.name)
            if not m:
                report(problems, DataFormatError(p, "validation file name is not ILSVRC2012_val_<8 digits>.JPEG"))
                continue
            num = int(m.group(1))
            if num == 0:  # numbering starts at 1 (line 1 of the ground truth); 0 would read the last line
                report(problems, DataFormatError(p, "validation file numbers start at 00000001"))
                continue
            if num > len(gt):
                report(problems, DataFormatError(gt_path, f"has {len(gt)} lines but {p.name} needs line {num}"))
                continue
            if gt[num - 1] is None:  # a bad line, already reported
                continue
            wnid = id2wnid.get(gt[num - 1])
            if wnid is None:
                report(problems, DataFormatError(gt_path, f"ILSVRC2012_ID {gt[num - 1]} is not a leaf synset of meta.mat", num))
                continue
            samples.append((p, index[wnid]))
        return ImageNetSplit(samples, classes, layout)
    if layout == "folder":
        classes = _class_folders(root / "train") if (root / "train").is_dir() else _class_folders(root / "val")
        return ImageNetSplit(_folder_samples(root / split, classes, problems), classes, layout)
    raise DataFormatError(root, f"unknown layout {layout!r} (auto, raw, folder, kaggle)")


def load_rgb(path: pathlib.Path):
    """Decode with Pillow and convert to RGB (CMYK, grayscale and PNG-named-.JPEG files exist)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except Exception as exc:
        raise DataFormatError(path, f"cannot decode image ({type(exc).__name__}: {exc})") from exc
