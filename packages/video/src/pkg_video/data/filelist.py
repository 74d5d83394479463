"""MMAction2 / PySlowFast file lists: ``path label [label ...]`` (video) or ``dir total label`` (rawframe).

Fields are split on whitespace (spaces or tabs); a path containing a space cannot be written
(both tools would misread it), so the writer refuses it.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Iterable

from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_write_text
from pkg_shared.io.tables import parse_field, read_rows


@dataclasses.dataclass(frozen=True)
class Sample:
    path: str  # as written in the list (relative to the data prefix) or absolute
    label: int  # first label (-1: unknown, e.g. the Kinetics test split)
    labels: tuple[int, ...] = ()
    total_frames: int | None = None  # rawframe lists only


def _label(path, lineno: int, text: str) -> int:
    v = parse_field(path, lineno, "label", text, int)
    if v < -1:  # -1: unlabeled, as `video-data prepare` writes the Kinetics test split
        raise DataFormatError(path, f"label {v} is negative (labels are class indices 0..K-1, -1 = unlabeled)",
                              lineno)
    return v


def read_video_list(path: str | os.PathLike[str]) -> list[Sample]:
    """``relative/path.mp4 label [label ...]`` per line (also the PySlowFast ``path label`` form)."""
    out = []
    for lineno, fields in read_rows(path, delimiter=None, comment=None, min_fields=2):
        labels = tuple(_label(path, lineno, f) for f in fields[1:])
        out.append(Sample(fields[0], labels[0], labels))
    return out


def read_rawframe_list(path: str | os.PathLike[str]) -> list[Sample]:
    out = []
    for lineno, fields in read_rows(path, delimiter=None, comment=None, min_fields=3):
        total = parse_field(path, lineno, "total_frames", fields[1], int)
        labels = tuple(_label(path, lineno, f) for f in fields[2:])
        out.append(Sample(fields[0], labels[0], labels, total))
    return out


def format_video_list(samples: Iterable[Sample], where: str = "list") -> str:
    lines = []
    for s in samples:
        if any(c.isspace() for c in s.path):
            raise DataFormatError(where, f"path {s.path!r} contains whitespace; MMAction2/PySlowFast lists "
                                  "split on whitespace (rename the folder, e.g. spaces -> underscores)")
        labels = s.labels or (s.label,)
        lines.append(" ".join([s.path, *map(str, labels)]))
    return "\n".join(lines) + ("\n" if lines else "")


def write_video_list(path: str | os.PathLike[str], samples: Iterable[Sample]) -> None:
    atomic_write_text(path, format_video_list(list(samples), str(path)))


def write_rawframe_list(path: str | os.PathLike[str], samples: Iterable[Sample]) -> None:
    lines = []
    for s in samples:
        if any(c.isspace() for c in s.path) or s.total_frames is None:
            raise DataFormatError(path, f"cannot write rawframe entry for {s.path!r}")
        lines.append(f"{s.path} {s.total_frames} {' '.join(map(str, s.labels or (s.label,)))}")
    atomic_write_text(path, "\n".join(lines) + "\n")


def resolve(prefix: str | os.PathLike[str], samples: list[Sample]) -> list[Sample]:
    """Make list paths absolute under ``prefix`` (``data_prefix`` of MMAction2)."""
    root = pathlib.Path(prefix)
    return [dataclasses.replace(s, path=str(root / s.path)) for s in samples]
