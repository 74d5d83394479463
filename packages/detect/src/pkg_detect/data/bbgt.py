"""bbGt text annotations of Dollar's toolbox (``dbExtract`` output and the "new" Caltech annotations).

First line ``% bbGt version=V``; then one object per line:
  V=0: ``lbl l t w h occ vl vt vw vh``            (10 fields)
  V=1: ... + ``ign``                                (11 fields)
  V=2, V=3: ... + ``ign ang``                       (12 fields)
"""

from __future__ import annotations

import dataclasses
import os
import pathlib

import numpy as np

from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_write_text

FIELDS = {0: 10, 1: 11, 2: 12, 3: 12}


@dataclasses.dataclass
class BbObject:
    label: str
    bbox: np.ndarray  # [l, t, w, h]
    occ: int = 0
    bbv: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(4))  # visible box
    ign: int = 0
    ang: float = 0.0


def read_bbgt(path: str | os.PathLike[str]) -> list[BbObject]:
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "annotation file not found")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines or not lines[0].startswith("% bbGt version="):
        raise DataFormatError(path, "first line must be '% bbGt version=N'", line=1)
    try:
        version = int(lines[0].split("=", 1)[1])
    except ValueError as exc:
        raise DataFormatError(path, f"bad version in {lines[0]!r}", line=1) from exc
    if version not in FIELDS:
        raise DataFormatError(path, f"unsupported bbGt version {version}", line=1)
    n = FIELDS[version]
    out = []
    for k, raw in enumerate(lines[1:], start=2):
        parts = raw.split()
        if not parts:
            continue
        if len(parts) != n:
            raise DataFormatError(path, f"expected {n} fields for version {version}, got {len(parts)}", line=k)
        try:
            nums = [float(x) for x in parts[1:]]
        except ValueError as exc:
            raise DataFormatError(path, f"non-numeric field ({exc})", line=k) from exc
        out.append(BbObject(parts[0], np.array(nums[0:4]), int(nums[4]), np.array(nums[5:9]),
                            int(nums[9]) if n > 10 else 0, nums[10] if n > 11 else 0.0))
    return out


def format_bbgt(objs: list[BbObject], version: int = 3) -> str:
    lines = [f"% bbGt version={version}"]
    n = FIELDS[version]
    for o in objs:
        vals = [*o.bbox, o.occ, *o.bbv, o.ign, o.ang][: n - 1]
        lines.append(" ".join([o.label] + [f"{v:g}" for v in vals]))
    return "\n".join(lines) + "\n"


def write_bbgt(path: str | os.PathLike[str], objs: list[BbObject], version: int = 3) -> None:
    atomic_write_text(path, format_bbgt(objs, version))
