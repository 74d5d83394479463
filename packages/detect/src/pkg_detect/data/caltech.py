"""Caltech Pedestrian on disk: ``setSS/VVVV.seq`` (or ``videos/setSS``) + ``annotations/setSS/VVVV.vbb``.

Frames are taken every k (toolbox ``skip``): frames k-1, 2k-1, ... (0-based), i.e. 2, 5, 8, ... for
the training "10x" set (k = 3) and 29, 59, ... for the test set (k = 30).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import pathlib

import numpy as np

from pkg_detect.data.bbgt import BbObject, write_bbgt
from pkg_detect.data.caltech_seq import SeqReader
from pkg_detect.data.caltech_vbb import VbbAnnotation, read_vbb
from pkg_detect.eval.caltech import GtObject
from pkg_shared.errors import DataFormatError

TRAIN_SETS = (0, 1, 2, 3, 4, 5)
TEST_SETS = (6, 7, 8, 9, 10)


@dataclasses.dataclass(frozen=True)
class Video:
    set_id: int
    vid_id: int
    seq: pathlib.Path
    vbb: pathlib.Path

    @property
    def name(self) -> str:
        return f"set{self.set_id:02d}/V{self.vid_id:03d}"


def find_videos(root: str | os.PathLike[str], sets=TRAIN_SETS + TEST_SETS, require_vbb: bool = True) -> list[Video]:
    root = pathlib.Path(root)
    if not root.is_dir():
        raise DataFormatError(root, "Caltech root folder not found")
    vids = []
    for s in sets:
        for base in (root / f"set{s:02d}", root / "videos" / f"set{s:02d}"):
            for seq in sorted(base.glob("V*.seq")):
                vbb = root / "annotations" / f"set{s:02d}" / f"{seq.stem}.vbb"
                if require_vbb and not vbb.is_file():
                    raise DataFormatError(vbb, f"annotation missing for video {seq}")
                vids.append(Video(s, int(seq.stem[1:]), seq, vbb))
    return vids


def frame_indices(n_frames: int, skip: int) -> list[int]:
    return list(range(skip - 1, n_frames, skip))


@functools.lru_cache(maxsize=64)
def load_vbb(path: str) -> VbbAnnotation:
    return read_vbb(path)


@functools.lru_cache(maxsize=8)
def load_seq(path: str) -> SeqReader:
    return SeqReader(path)


def gt_objects(ann: VbbAnnotation, frame: int) -> list[GtObject]:
    return [GtObject(o.label, o.pos.astype(np.float64), o.posv.astype(np.float64), int(o.occl)) for o in ann.frames[frame]]


def bbgt_objects(objs) -> list[GtObject]:
    """bbGt text objects (dbExtract output, new annotations) -> GtObject, keeping occ and ign."""
    return [GtObject(o.label, np.asarray(o.bbox, np.float64), np.asarray(o.bbv, np.float64), int(o.occ), int(o.ign))
            for o in objs]


def train_boxes(objs: list[GtObject], min_height: float = 20.0) -> tuple[np.ndarray, np.ndarray]:
    """Positives (label ``person``, not flagged ``ign``, h >= min_height) and ignore regions (the rest)."""
    def positive(o: GtObject) -> bool:
        return o.label == "person" and not o.ign and o.bbox[3] >= min_height

    pos = [o.bbox for o in objs if positive(o)]
    ign = [o.bbox for o in objs if not positive(o)]
    return np.array(pos, dtype=np.float64).reshape(-1, 4), np.array(ign, dtype=np.float64).reshape(-1, 4)


def index(root, sets, every: int) -> list[tuple[Video, int]]:
    """(video, frame) pairs every k frames."""
    items = []
    for v in find_videos(root, sets):
        n = load_vbb(str(v.vbb)).n_frames
        items += [(v, f) for f in frame_indices(n, every)]
    return items


def extract(root, out, every: int = 30, sets=TEST_SETS, progress=None) -> int:
    """dbExtract: ``images/setSS_VVVV_IFFFFF.jpg`` + ``annotations/setSS_VVVV_IFFFFF.txt`` (bbGt v3)."""
    out = pathlib.Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "annotations").mkdir(parents=True, exist_ok=True)
    from pkg_shared.fsutil import atomic_write_bytes

    n = 0
    items = index(root, sets, every)
    for v, f in (progress(items) if progress else items):
        ann = load_vbb(str(v.vbb))
        stem = f"set{v.set_id:02d}_V{v.vid_id:03d}_I{f:05d}"
        atomic_write_bytes(out / "images" / f"{stem}.jpg", load_seq(str(v.seq)).frame_bytes(f))
        objs = [BbObject(o.label, o.pos, o.occl, o.posv) for o in ann.frames[f]]
        write_bbgt(out / "annotations" / f"{stem}.txt", objs)
        n += 1
    return n


def check(root) -> dict:
    """Per-split statistics and every format problem found (never raises on bad files)."""
    root = pathlib.Path(root)
    stats: dict = {"train": {"videos": 0, "frames": 0, "labels": {}}, "test": {"videos": 0, "frames": 0, "labels": {}}}
    problems = []
    try:
        vids = find_videos(root, require_vbb=False)
    except DataFormatError as exc:
        return {"stats": stats, "problems": [str(exc)]}
    if not vids:
        problems.append(f"{root}: no setSS/VVVV.seq videos found")
    for v in vids:
        split = "train" if v.set_id in TRAIN_SETS else "test"
        try:
            seq = SeqReader(v.seq)
            ann = read_vbb(v.vbb)
            if ann.n_frames != len(seq):
                problems.append(f"{v.vbb}: nFrame = {ann.n_frames} but {v.seq} has {len(seq)} frames")
            stats[split]["videos"] += 1
            stats[split]["frames"] += len(seq)
            for fr in ann.frames:
                for o in fr:
                    stats[split]["labels"][o.label] = stats[split]["labels"].get(o.label, 0) + 1
        except DataFormatError as exc:
            problems.append(str(exc))
    from pkg_detect.data import caltech_new

    for folder in (caltech_new.TEST_FOLDER, caltech_new.TRAIN_FOLDER, "anno_train_1xnew"):
        if (root / folder).is_dir():
            st, pr = caltech_new.check_folder(root / folder)
            stats[folder] = st
            problems += pr
    return {"stats": stats, "problems": problems}
