"""Moments in Time v1: ``moments_categories.txt`` (``name,index``) and headerless training/validation CSVs.

CSV rows: ``filename,label,n_agree,n_disagree`` with ``filename = class/file.mp4``; videos at
``training/<filename>`` and ``validation/<filename>``. The class index comes from the categories
file (not alphabetical).
"""

from __future__ import annotations

import os
import pathlib

from pkg_shared.errors import DataFormatError
from pkg_shared.io.tables import parse_field, read_rows
from pkg_video.data.filelist import Sample

SPLITS = {"train": ("trainingSet.csv", "training"), "val": ("validationSet.csv", "validation")}


def read_categories(path: str | os.PathLike[str]) -> list[str]:
    """Names ordered by their index; indices must be 0..K-1 without gaps or repeats."""
    by_index: dict[int, str] = {}
    for lineno, fields in read_rows(path, delimiter=",", comment=None, min_fields=2, max_fields=2):
        idx = parse_field(path, lineno, "index", fields[1], int)
        if idx in by_index:
            raise DataFormatError(path, f"index {idx} used twice", lineno)
        by_index[idx] = fields[0].strip()
    if sorted(by_index) != list(range(len(by_index))):
        raise DataFormatError(path, "class indices are not 0..K-1")
    return [by_index[i] for i in range(len(by_index))]


def read_split_csv(path: str | os.PathLike[str], classes: list[str]) -> list[tuple[str, int, int]]:
    """(relative filename, label index, line) for each row; the folder must match the label."""
    cidx = {c: i for i, c in enumerate(classes)}
    out = []
    for lineno, fields in read_rows(path, delimiter=",", comment=None, min_fields=4, max_fields=4):
        fname, label = fields[0].strip(), fields[1].strip()
        for k in (2, 3):
            parse_field(path, lineno, ("n_agree", "n_disagree")[k - 2], fields[k], int)
        if label not in cidx:
            raise DataFormatError(path, f"label {label!r} is not in the categories file", lineno)
        if pathlib.PurePosixPath(fname).parent.name != label:
            raise DataFormatError(path, f"file {fname!r} is not in the folder of its label {label!r}", lineno)
        out.append((fname, cidx[label], lineno))
    return out


def build_split(root: str | os.PathLike[str], split: str) -> tuple[list[Sample], list[str], dict]:
    root = pathlib.Path(root)
    if split not in SPLITS:
        raise DataFormatError(root, f"unknown Moments in Time split {split!r} (train or val)")
    csv_name, folder = SPLITS[split]
    classes = read_categories(root / "moments_categories.txt")
    rows = read_split_csv(root / csv_name, classes)
    samples, missing = [], []
    for fname, label, _ in rows:
        p = root / folder / fname
        if p.is_file():
            samples.append(Sample(str(p), label))
        else:
            missing.append(fname)
    return samples, classes, {"csv": str(root / csv_name), "rows": len(rows), "found": len(samples),
                              "missing": len(missing)}
