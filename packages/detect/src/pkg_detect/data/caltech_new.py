"""The "new" Caltech annotations of Zhang et al. (CVPR 2016, "How far are we from solving pedestrian
detection?"), as distributed: flat folders of per-frame bbGt text files.

* ``anno_test_1xnew/setSS_VVVV_IFFFFF.jpg.txt`` — the 4,024 test frames (FFFFF = 29, 59, ..., 0-based);
* ``anno_train10x_alignedby_RotatedFilters/setSS_VVVV_IFFFFF.txt`` — the 10x training frames (2, 5, 8, ...);
* ``anno_train_1xnew/…`` — the 1x training frames.

Each file is bbGt text (``% bbGt version=3``, then ``lbl l t w h occ vl vt vw vh ign ang``); the
``ign`` column is used (it marks boxes to ignore), and the folders hold only annotations, so the
frames themselves still come from the ``.seq`` videos (or the user's extracted JPEGs).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re

from pkg_detect.data.bbgt import BbObject, read_bbgt
from pkg_shared.errors import DataFormatError

TEST_FOLDER = "anno_test_1xnew"
TRAIN_FOLDER = "anno_train10x_alignedby_RotatedFilters"
NAME = re.compile(r"^set(\d{2})_V(\d{3})_I(\d{5})(\.jpg|\.png)?\.txt$")


@dataclasses.dataclass(frozen=True)
class NewAnnotation:
    set_id: int
    vid_id: int
    frame: int  # 0-based, as in the file name
    path: pathlib.Path

    @property
    def video(self) -> str:
        return f"set{self.set_id:02d}/V{self.vid_id:03d}"


def parse_name(name: str) -> tuple[int, int, int] | None:
    """(set, video, 0-based frame) of ``setSS_VVVV_IFFFFF[.jpg].txt``; None for other names."""
    m = NAME.match(name)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def list_folder(folder: str | os.PathLike[str], sets=None, skip: int | None = None) -> list[NewAnnotation]:
    """Annotation files of a folder (sorted by set, video, frame), optionally only some sets and
    frames with (frame + 1) % skip == 0."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise DataFormatError(folder, "new-annotation folder not found")
    out = []
    for p in folder.iterdir():
        key = parse_name(p.name)
        if key is None:
            continue
        s, v, f = key
        if sets is not None and s not in sets:
            continue
        if skip is not None and (f + 1) % skip:
            continue
        out.append(NewAnnotation(s, v, f, p))
    out.sort(key=lambda a: (a.set_id, a.vid_id, a.frame))
    if not out:
        raise DataFormatError(folder, "no setSS_VVVV_IFFFFF[.jpg].txt annotation files"
                              + (f" for sets {list(sets)}" if sets is not None else ""))
    return out


def find_file(folder: str | os.PathLike[str], set_id: int, vid_id: int, frame: int) -> pathlib.Path:
    """The file of one frame; both the test (``.jpg.txt``) and the train (``.txt``) spellings."""
    stem = pathlib.Path(folder) / f"set{set_id:02d}_V{vid_id:03d}_I{frame:05d}"
    for suffix in (".jpg.txt", ".txt", ".png.txt"):
        p = stem.with_name(stem.name + suffix)
        if p.is_file():
            return p
    raise DataFormatError(stem.with_name(stem.name + ".jpg.txt"), "new annotation for this frame not found")


def read(path: str | os.PathLike[str]) -> list[BbObject]:
    return read_bbgt(path)


def check_folder(folder: str | os.PathLike[str]) -> tuple[dict, list[str]]:
    """Statistics (files, frames per set, labels, ignore flags) and every problem found."""
    folder = pathlib.Path(folder)
    stats: dict = {"files": 0, "sets": {}, "labels": {}, "ign": 0}
    problems = []
    for p in sorted(folder.iterdir()):
        if parse_name(p.name) is None:
            if p.suffix == ".txt":
                problems.append(f"{p}: file name is not setSS_VVVV_IFFFFF[.jpg].txt")
            continue
        try:
            objs = read_bbgt(p)
        except DataFormatError as exc:
            problems.append(str(exc))
            continue
        s = f"set{parse_name(p.name)[0]:02d}"
        stats["files"] += 1
        stats["sets"][s] = stats["sets"].get(s, 0) + 1
        for o in objs:
            stats["labels"][o.label] = stats["labels"].get(o.label, 0) + 1
            stats["ign"] += int(o.ign)
    return stats, problems
