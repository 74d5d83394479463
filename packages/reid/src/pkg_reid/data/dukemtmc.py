"""DukeMTMC-reID reader: ``DukeMTMC-reID/{bounding_box_train,query,bounding_box_test}``.

Names ``PPPP_cC_fFFFFFFF.jpg`` with cameras 1..8. No junk class; the gallery holds 408
distractor identities absent from the query set (they are ordinary negatives).
"""

from __future__ import annotations

import pathlib
import re

from pkg_reid.data.common import ReidSplits, read_name_folder
from pkg_reid.data.market1501 import SPLITS, find_root

NAME = re.compile(r"^(\d+)_c(\d)_f(\d+)\.jpg$")
SUBDIR = "DukeMTMC-reID"


def parse_name(name: str) -> tuple[int, int] | None:
    m = NAME.match(name)
    return (int(m.group(1)), int(m.group(2))) if m else None


def read(root: str | pathlib.Path, *, collect_problems: bool = False) -> ReidSplits:
    base = find_root(root, SPLITS, SUBDIR)
    problems: list[str] | None = [] if collect_problems else None
    train = read_name_folder(base / "bounding_box_train", parse_name, ".jpg", 8, problems)
    query = read_name_folder(base / "query", parse_name, ".jpg", 8, problems)
    gallery = read_name_folder(base / "bounding_box_test", parse_name, ".jpg", 8, problems)
    return ReidSplits("dukemtmcreid", train, query, gallery, problems or [])
