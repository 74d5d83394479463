"""Caltech ``.vbb`` annotations (MATLAB v5 files holding struct ``A``), read and written with scipy.io.

Fields of A, in order: nFrame, objLists (1 x nFrame cell of struct arrays with id [1-based],
pos [l t w h], occl, lock, posv [visible l t w h; zeros when unoccluded]), maxObj, objInit,
objLbl (cell of labels per object id), objStr, objEnd (1-based first/last frames), objHide,
altered, log, logLen.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib

import numpy as np

from pkg_shared.errors import DataFormatError

OBJ_DTYPE = [("id", "O"), ("pos", "O"), ("occl", "O"), ("lock", "O"), ("posv", "O")]


@dataclasses.dataclass
class VbbObject:
    id: int  # 1-based object id (MATLAB)
    label: str
    pos: np.ndarray  # [l, t, w, h]
    occl: int
    posv: np.ndarray  # [l, t, w, h] visible part, zeros when unoccluded
    lock: int = 0


@dataclasses.dataclass
class VbbAnnotation:
    n_frames: int
    frames: list[list[VbbObject]]  # 0-based frame index -> objects
    labels: list[str]  # objLbl, index id - 1


def _scalar(x) -> float:
    return float(np.asarray(x).reshape(-1)[0])


def _label(x) -> str:
    a = np.asarray(x).reshape(-1)
    return str(a[0]) if a.size else ""


def read_vbb(path: str | os.PathLike[str]) -> VbbAnnotation:
    import scipy.io

    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, ".vbb file not found")
    try:
        m = scipy.io.loadmat(str(path))
    except Exception as exc:
        raise DataFormatError(path, f"not a MATLAB v5 .vbb file ({type(exc).__name__}: {exc})") from exc
    if "A" not in m:
        raise DataFormatError(path, "no struct 'A' in the .vbb file")
    a = m["A"][0, 0]
    names = a.dtype.names or ()
    for f in ("nFrame", "objLists", "objLbl"):
        if f not in names:
            raise DataFormatError(path, f"struct A has no field '{f}'")
    n = int(_scalar(a["nFrame"]))
    labels = [_label(x) for x in np.asarray(a["objLbl"]).reshape(-1)]
    lists = np.asarray(a["objLists"]).reshape(-1)
    if len(lists) != n:
        raise DataFormatError(path, f"objLists has {len(lists)} entries but nFrame = {n}")
    frames: list[list[VbbObject]] = []
    for f, entry in enumerate(lists):
        objs = []
        entry = np.asarray(entry)
        if entry.size and entry.dtype.names:
            for o in entry.reshape(-1):
                oid = int(_scalar(o["id"]))
                if not 1 <= oid <= len(labels):
                    raise DataFormatError(path, f"frame {f}: object id {oid} has no label in objLbl")
                pos = np.asarray(o["pos"], dtype=np.float64).reshape(-1)
                posv = np.asarray(o["posv"], dtype=np.float64).reshape(-1)
                if pos.size != 4:
                    raise DataFormatError(path, f"frame {f}: object {oid} pos has {pos.size} values, expected 4")
                if posv.size != 4:
                    posv = np.zeros(4)
                occl = int(_scalar(o["occl"])) if np.asarray(o["occl"]).size else 0
                lock = int(_scalar(o["lock"])) if np.asarray(o["lock"]).size else 0
                objs.append(VbbObject(oid, labels[oid - 1], pos, occl, posv, lock))
        frames.append(objs)
    return VbbAnnotation(n, frames, labels)


def write_vbb(path: str | os.PathLike[str], ann: VbbAnnotation) -> None:
    """Write ``ann`` as a MATLAB v5 .vbb file (atomic)."""
    import io

    import scipy.io

    from pkg_shared.fsutil import atomic_write_bytes

    n = ann.n_frames
    obj_lists = np.empty((1, n), dtype=object)
    str_, end = {}, {}
    for f in range(n):
        objs = ann.frames[f]
        arr = np.zeros((1, len(objs)), dtype=OBJ_DTYPE)
        for k, o in enumerate(objs):
            arr[0, k] = (np.array([[float(o.id)]]), np.asarray(o.pos, np.float64).reshape(1, 4),
                         np.array([[float(o.occl)]]), np.array([[float(o.lock)]]),
                         np.asarray(o.posv, np.float64).reshape(1, 4))
            str_.setdefault(o.id, f + 1)
            end[o.id] = f + 1
        obj_lists[0, f] = arr
    m = len(ann.labels)
    lbl = np.empty((1, m), dtype=object)
    for k, name in enumerate(ann.labels):
        lbl[0, k] = name
    a = {
        "nFrame": float(n),
        "objLists": obj_lists,
        "maxObj": float(m),
        "objInit": np.ones((1, m)),
        "objLbl": lbl,
        "objStr": np.array([[float(str_.get(i + 1, 0)) for i in range(m)]]),
        "objEnd": np.array([[float(end.get(i + 1, 0)) for i in range(m)]]),
        "objHide": np.zeros((1, m)),
        "altered": 0.0,
        "log": 0.0,
        "logLen": 0.0,
    }
    buf = io.BytesIO()
    scipy.io.savemat(buf, {"A": a}, format="5")
    atomic_write_bytes(path, buf.getvalue())
