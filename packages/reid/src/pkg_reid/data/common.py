"""Types shared by the dataset readers: one sample = (image path, person id, camera id)."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass, field

from pkg_shared.errors import DataFormatError


@dataclass(frozen=True)
class Sample:
    path: str
    pid: int  # original person id (Market: -1 junk, 0 distractor)
    camid: int  # 1-based camera (CUHK03: view 1/2 within a camera pair)


@dataclass
class ReidSplits:
    """Train/query/gallery lists. ``train_labels`` maps original train pid -> 0..N-1."""

    name: str
    train: list[Sample]
    query: list[Sample]
    gallery: list[Sample]
    problems: list[str] = field(default_factory=list)

    @property
    def train_labels(self) -> dict[int, int]:
        return {pid: i for i, pid in enumerate(sorted({s.pid for s in self.train}))}

    @property
    def num_train_ids(self) -> int:
        return len({s.pid for s in self.train})


def split_stats(samples: list[Sample]) -> dict[str, int]:
    return {
        "images": len(samples),
        "ids": len({s.pid for s in samples}),
        "cameras": len({s.camid for s in samples}),
        "junk(-1)": sum(s.pid == -1 for s in samples),
        "distractor(0)": sum(s.pid == 0 for s in samples),
    }


def read_name_folder(
    folder: pathlib.Path,
    parse: Callable[[str], tuple[int, int] | None],
    suffix: str,
    max_cam: int,
    problems: list[str] | None,
) -> list[Sample]:
    """Samples of a flat folder of ``suffix`` images named in an official scheme.

    ``parse`` returns (pid, camid) or None for a name that breaks the scheme. With ``problems``
    given, problems are collected (for ``reid-data check``); otherwise the first raises.
    """
    if not folder.is_dir():
        raise DataFormatError(folder, "split folder not found")
    out = []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() != suffix or not p.is_file():
            continue  # Thumbs.db and friends
        parsed = parse(p.name)
        msg = None
        if parsed is None:
            msg = "file name does not follow the official naming scheme"
        elif not 1 <= parsed[1] <= max_cam:
            msg = f"camera {parsed[1]} outside 1..{max_cam}"
        if msg is not None:
            if problems is None:
                raise DataFormatError(p, msg)
            problems.append(f"{p}: {msg}")
            continue
        out.append(Sample(str(p), parsed[0], parsed[1]))
    if not out:
        msg = f"no valid {suffix} images in this split folder"
        if problems is None:
            raise DataFormatError(folder, msg)
        problems.append(f"{folder}: {msg}")
    return out
