"""Market-1501 reader (official layout ``Market-1501-v15.09.15/``).

Names ``PPPP_cCsS_FFFFFF_BB.jpg``; PPPP may be ``-1`` (junk detections) or ``0000``
(distractors), both only in ``bounding_box_test``. The root may be the extracted folder itself or
a parent holding ``Market-1501-v15.09.15/`` (both layouts are common). Junk images are kept in the
gallery: the evaluator's masks remove them per query (official protocol); ``drop_junk=True`` drops
them at load time like torchreid.
"""

from __future__ import annotations

import pathlib
import re

from pkg_reid.data.common import ReidSplits, read_name_folder
from pkg_shared.errors import DataFormatError

NAME = re.compile(r"^(-?\d+)_c(\d)s(\d)_(\d+)_(\d+)\.jpg$")
SUBDIR = "Market-1501-v15.09.15"
SPLITS = ("bounding_box_train", "query", "bounding_box_test")


def parse_name(name: str) -> tuple[int, int] | None:
    m = NAME.match(name)
    return (int(m.group(1)), int(m.group(2))) if m else None


def find_root(root: str | pathlib.Path, splits: tuple[str, ...] = SPLITS, subdir: str = SUBDIR) -> pathlib.Path:
    root = pathlib.Path(root)
    for cand in (root, root / subdir):
        if all((cand / s).is_dir() for s in splits):
            return cand
    if not root.exists():
        raise DataFormatError(root, "dataset root not found")
    raise DataFormatError(root, f"expected folders {', '.join(splits)} here or under {subdir}/")


def read(root: str | pathlib.Path, *, drop_junk: bool = False, collect_problems: bool = False) -> ReidSplits:
    base = find_root(root)
    problems: list[str] | None = [] if collect_problems else None
    train = read_name_folder(base / "bounding_box_train", parse_name, ".jpg", 6, problems)
    query = read_name_folder(base / "query", parse_name, ".jpg", 6, problems)
    gallery = read_name_folder(base / "bounding_box_test", parse_name, ".jpg", 6, problems)
    for split, items in (("bounding_box_train", train), ("query", query)):
        bad = [s for s in items if s.pid <= 0]
        if bad:
            msg = f"{split} must not contain junk/distractor ids (-1/0000), found {len(bad)}"
            if problems is None:
                raise DataFormatError(bad[0].path, msg)
            problems.append(f"{bad[0].path}: {msg}")
            items[:] = [s for s in items if s.pid > 0]
    if drop_junk:
        gallery = [s for s in gallery if s.pid != -1]
    return ReidSplits("market1501", train, query, gallery, problems or [])
