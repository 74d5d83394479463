"""SBU Kinect Interaction (clean v2.0): ``<set>/<action 01-08>/<take>/skeleton_pos.txt``.

Each line: frame index, then 15 joints x (x, y, z) of person 1 and of person 2 (91 values,
comma-separated); x, y in [0, 1], z in [0, 7.8125].
"""

from __future__ import annotations

import os
import pathlib

import numpy as np

from pkg_shared.errors import DataFormatError

ACTIONS = ("approaching", "departing", "kicking", "pushing", "shaking hands", "hugging", "exchanging", "punching")
FOLDS: dict[int, tuple[str, ...]] = {
    1: ("s01s02", "s03s04", "s05s02", "s06s04"),
    2: ("s02s03", "s02s07", "s03s05", "s05s03"),
    3: ("s01s03", "s01s07", "s07s01", "s07s03"),
    4: ("s02s01", "s02s06", "s03s02", "s03s06"),
    5: ("s04s02", "s04s03", "s04s06", "s06s02", "s06s03"),
}
NUM_JOINTS = 15


def fold_of(set_name: str) -> int:
    for k, sets in FOLDS.items():
        if set_name in sets:
            return k
    raise KeyError(set_name)


def read_skeleton_pos(path: str | os.PathLike[str], real_world: bool = False) -> np.ndarray:
    """One take -> (2, F, 15, 3) float32; ``real_world`` converts to millimetres."""
    path = pathlib.Path(path)
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            parts = [p for p in line.replace(",", " ").split()]
            if len(parts) != 1 + 2 * NUM_JOINTS * 3:
                raise DataFormatError(path, f"expected 91 comma-separated values, got {len(parts)}", lineno)
            try:
                rows.append([float(p) for p in parts[1:]])
            except ValueError:
                raise DataFormatError(path, "non-numeric value", lineno) from None
    if not rows:
        raise DataFormatError(path, "empty skeleton file")
    arr = np.asarray(rows, dtype=np.float64).reshape(len(rows), 2, NUM_JOINTS, 3).transpose(1, 0, 2, 3)
    if real_world:
        arr = arr.copy()
        arr[..., 0] = 1280 - 2560 * arr[..., 0]
        arr[..., 1] = 960 - 1920 * arr[..., 1]
        arr[..., 2] = arr[..., 2] * 10000 / 7.8125
    return arr.astype(np.float32)


def list_takes(root: str | os.PathLike[str]) -> list[tuple[str, int, pathlib.Path]]:
    """All (set name, label 0..7, file) of the clean SBU tree, sorted."""
    root = pathlib.Path(root)
    if not root.is_dir():
        raise DataFormatError(root, "SBU root folder not found")
    out = []
    for f in sorted(root.glob("s??s??/??/???/skeleton_pos.txt")):
        set_name, action = f.parts[-4], f.parts[-3]
        a = int(action)
        if not 1 <= a <= 8:
            raise DataFormatError(f, f"action folder {action} is not 01..08")
        out.append((set_name, a - 1, f))
    if not out:
        raise DataFormatError(root, "no s??s??/??/???/skeleton_pos.txt files (expected the clean SBU layout)")
    return out
