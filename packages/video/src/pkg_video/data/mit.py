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


def _fields(path, lineno: int, fields: list[str], n: int, what: str) -> None:
    if len(fields) != n:
        raise DataFormatError(path, f"expected {n} fields ({what}), found {len(fields)}: {','.join(fields)[:120]!r}",
                              lineno)


def _collect(problems: list[DataFormatError] | None, exc: DataFormatError) -> None:
    if problems is None:
        raise exc
    problems.append(exc)


def read_categories(path: str | os.PathLike[str], problems: list[DataFormatError] | None = None) -> list[str]:
    """Names ordered by their index; indices must be 0..K-1 without gaps or repeats.

    With ``problems`` (a list) bad lines are appended there and skipped instead of raising.
    """
    by_index: dict[int, str] = {}
    for lineno, fields in read_rows(path, delimiter=",", comment=None):
        try:
            _fields(path, lineno, fields, 2, "name,index")
            idx = parse_field(path, lineno, "index", fields[1], int)
            if idx in by_index:
                raise DataFormatError(path, f"index {idx} used twice", lineno)
        except DataFormatError as exc:
            _collect(problems, exc)
            continue
        by_index[idx] = fields[0].strip().lstrip("\ufeff")  # a byte-order mark on the first line
    if not by_index:
        raise DataFormatError(path, "no categories (expected lines 'name,index')")
    if sorted(by_index) != list(range(len(by_index))):
        _collect(problems, DataFormatError(path, "class indices are not 0..K-1"))
    return [by_index[i] for i in sorted(by_index)]


def read_split_csv(path: str | os.PathLike[str], classes: list[str],
                   problems: list[DataFormatError] | None = None) -> list[tuple[str, int, int]]:
    """(relative filename, label index, line) for each row; the folder must match the label.

    With ``problems`` (a list) malformed rows are appended there and skipped instead of raising.
    """
    cidx = {c: i for i, c in enumerate(classes)}
    out = []
    for lineno, fields in read_rows(path, delimiter=",", comment=None):
        try:
            _fields(path, lineno, fields, 4, "filename,label,n_agree,n_disagree")
            fname, label = fields[0].strip().lstrip("\ufeff"), fields[1].strip()
            for k in (2, 3):
                parse_field(path, lineno, ("n_agree", "n_disagree")[k - 2], fields[k], int)
            if label not in cidx:
                raise DataFormatError(path, f"label {label!r} is not in the categories file", lineno)
            if pathlib.PurePosixPath(fname).parent.name != label:
                raise DataFormatError(path, f"file {fname!r} is not in the folder of its label {label!r}", lineno)
        except DataFormatError as exc:
            _collect(problems, exc)
            continue
        out.append((fname, cidx[label], lineno))
    return out


def build_split(root: str | os.PathLike[str], split: str,
                problems: list[DataFormatError] | None = None) -> tuple[list[Sample], list[str], dict]:
    """``problems``: collect malformed lines there (and skip them) instead of raising at the first."""
    root = pathlib.Path(root)
    if split not in SPLITS:
        raise DataFormatError(root, f"unknown Moments in Time split {split!r} (train or val)")
    csv_name, folder = SPLITS[split]
    classes = read_categories(root / "moments_categories.txt", problems)
    rows = read_split_csv(root / csv_name, classes, problems)
    samples, missing = [], []
    for fname, label, _ in rows:
        p = root / folder / fname
        if p.is_file():
            samples.append(Sample(str(p), label))
        else:
            missing.append(fname)
    return samples, classes, {"csv": str(root / csv_name), "rows": len(rows), "found": len(samples),
                              "missing": len(missing)}
