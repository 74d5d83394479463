"""KITTI object ``label_2`` files: ``type truncated occluded alpha left top right bottom h w l x y z ry [score]``."""

from __future__ import annotations

import dataclasses
import os
import pathlib

import numpy as np

from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_write_text


@dataclasses.dataclass
class KittiObject:
    type: str
    truncated: float
    occluded: int
    alpha: float
    box: np.ndarray  # [left, top, right, bottom]
    dims: np.ndarray  # h, w, l
    loc: np.ndarray  # x, y, z
    ry: float
    score: float | None = None


def read_label(path: str | os.PathLike[str]) -> list[KittiObject]:
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "KITTI label file not found")
    out = []
    for k, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        p = raw.split()
        if not p:
            continue
        if len(p) not in (15, 16):
            raise DataFormatError(path, f"expected 15 fields (16 with score), got {len(p)}", line=k)
        try:
            v = [float(x) for x in p[1:]]
        except ValueError as exc:
            raise DataFormatError(path, f"non-numeric field ({exc})", line=k) from exc
        out.append(KittiObject(p[0], v[0], int(v[1]), v[2], np.array(v[3:7]), np.array(v[7:10]),
                               np.array(v[10:13]), v[13], v[14] if len(v) > 14 else None))
    return out


def format_label(objs: list[KittiObject]) -> str:
    lines = []
    for o in objs:
        vals = [o.truncated, o.occluded, o.alpha, *o.box, *o.dims, *o.loc, o.ry]
        if o.score is not None:
            vals.append(o.score)
        lines.append(" ".join([o.type] + [f"{x:.2f}" for x in vals]))
    return "\n".join(lines) + ("\n" if lines else "")


def write_label(path: str | os.PathLike[str], objs: list[KittiObject]) -> None:
    atomic_write_text(path, format_label(objs))


def list_frames(root: str | os.PathLike[str], split: str = "training") -> list[str]:
    d = pathlib.Path(root) / split / "label_2"
    if not d.is_dir():
        raise DataFormatError(d, "KITTI label_2 folder not found")
    return sorted(p.stem for p in d.glob("*.txt"))
