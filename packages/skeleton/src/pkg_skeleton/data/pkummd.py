"""PKU-MMD phase 1: per-video skeleton files, label files and the cross-subject/-view split files.

* ``PKU_Skeleton_Renew/XXXX-V.txt``: one line per frame, 150 floats (2 persons x 25 joints x xyz).
* ``Train_Label_PKU_final/XXXX-V.txt``: lines ``label,start,end,confidence`` (label 1..51).
* ``cross-subject.txt`` / ``cross-view.txt``: ``Training videos:`` list, then ``Validataion videos:``.
"""

from __future__ import annotations

import os
import pathlib
import re

import numpy as np

from pkg_shared.errors import DataFormatError

SKELETON_DIR = "PKU_Skeleton_Renew"
LABEL_DIR = "Train_Label_PKU_final"
SPLIT_FILES = {"pkummd_xsub": "cross-subject.txt", "pkummd_xview": "cross-view.txt"}
NUM_CLASSES = 51


def read_skeleton(path: str | os.PathLike[str]) -> np.ndarray:
    """One video -> (2, F, 25, 3) float32."""
    path = pathlib.Path(path)
    try:
        data = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        # find the line for the message
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                parts = line.split()
                if not parts:
                    continue
                try:
                    [float(p) for p in parts]
                except ValueError:
                    raise DataFormatError(path, "non-numeric value", lineno) from None
                if len(parts) != 150:
                    raise DataFormatError(path, f"expected 150 values per frame, got {len(parts)}", lineno) from None
        raise DataFormatError(path, f"unreadable skeleton file ({exc})") from None
    if data.size == 0:
        raise DataFormatError(path, "empty skeleton file")
    if data.shape[1] != 150:
        raise DataFormatError(path, f"expected 150 values per frame, got {data.shape[1]}", 1)
    return data.reshape(len(data), 2, 25, 3).transpose(1, 0, 2, 3).astype(np.float32)


def read_labels(path: str | os.PathLike[str], num_classes: int = NUM_CLASSES) -> list[tuple[int, int, int, float]]:
    """Label (or detection) file -> [(label 1..K, start, end, confidence/score)]; commas and/or spaces."""
    path = pathlib.Path(path)
    out = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.replace(",", " ").split()
            if not parts:
                continue
            if len(parts) != 4:
                raise DataFormatError(path, f"expected 'label,start,end,confidence', got {len(parts)} values", lineno)
            try:
                label, start, end = (int(float(p)) for p in parts[:3])
                conf = float(parts[3])
            except ValueError:
                raise DataFormatError(path, "non-numeric value", lineno) from None
            if not 1 <= label <= num_classes:
                raise DataFormatError(path, f"label {label} outside 1..{num_classes}", lineno)
            if end < start:
                raise DataFormatError(path, f"end frame {end} before start frame {start}", lineno)
            out.append((label, start, end, conf))
    return out


def read_split(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    """(training ids, validation ids); lenient about spacing, trailing commas and the 'Validataion' typo."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "split file not found")
    text = path.read_text(encoding="utf-8")
    m = re.search(r"Training videos:(.*?)Valida\w*ion videos:(.*)", text, re.S | re.I)
    if not m:
        raise DataFormatError(path, "expected 'Training videos:' followed by 'Validataion videos:'")

    def ids(s: str) -> list[str]:
        return [t.strip() for t in re.split(r"[,\s]+", s) if t.strip()]

    return ids(m.group(1)), ids(m.group(2))


def find_split_file(root: pathlib.Path, dataset: str) -> pathlib.Path:
    name = SPLIT_FILES[dataset]
    for cand in (root / name, root / "Split" / name, root / "split" / name):
        if cand.is_file():
            return cand
    raise DataFormatError(root / name, "split file not found (looked in ROOT/ and ROOT/Split/)")


def video_paths(root: pathlib.Path, vid: str) -> tuple[pathlib.Path, pathlib.Path]:
    return root / SKELETON_DIR / f"{vid}.txt", root / LABEL_DIR / f"{vid}.txt"
