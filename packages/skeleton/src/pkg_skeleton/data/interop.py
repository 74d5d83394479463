"""Lossless exchange with the pyskl/mmaction2 pickle and the ST-GCN/HCN-pytorch ``.npy``+``.pkl`` layout.

Internal sample: (name, label, array (M, F, V, C) float32).
* pyskl: ``{"split": {name: [frame_dir]}, "annotations": [{"frame_dir", "label", "total_frames",
  "keypoint" (M, T, V, C), optional "keypoint_score" (M, T, V)}]}``.
* ST-GCN: ``{split}_data.npy`` (N, C, T, V, M) zero padded, ``{split}_label.pkl`` = (names, labels),
  ``{split}_num_frame.npy`` (HCN-pytorch).
"""

from __future__ import annotations

import os
import pathlib
import pickle
from collections.abc import Sequence

import numpy as np

from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_open

Sample = tuple[str, int, np.ndarray]


def read_pyskl(path: str | os.PathLike[str]) -> tuple[dict[str, list[str]], dict[str, Sample]]:
    """(split name -> frame_dirs, frame_dir -> sample)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "pyskl pickle not found")
    try:
        with open(path, "rb") as fh:
            obj = pickle.load(fh)
    except Exception as exc:
        raise DataFormatError(path, f"not a readable pickle ({type(exc).__name__})") from None
    if not isinstance(obj, dict) or "annotations" not in obj:
        raise DataFormatError(path, "expected a dict with 'split' and 'annotations' (pyskl format)")
    samples: dict[str, Sample] = {}
    for k, ann in enumerate(obj["annotations"]):
        try:
            kp = np.asarray(ann["keypoint"], dtype=np.float32)
            name, label = str(ann["frame_dir"]), int(ann["label"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFormatError(path, f"annotation {k}: missing or bad key ({exc})") from None
        if kp.ndim != 4:
            raise DataFormatError(path, f"annotation {k} ({name}): keypoint must be (M, T, V, C), got {kp.shape}")
        samples[name] = (name, label, kp)
    split = {str(k): [str(v) for v in vs] for k, vs in (obj.get("split") or {}).items()}
    return split, samples


def write_pyskl(path: str | os.PathLike[str], split: dict[str, list[str]], samples: Sequence[Sample]) -> None:
    anns = [{"frame_dir": n, "label": int(lab), "total_frames": int(a.shape[1]),
             "keypoint": np.asarray(a, dtype=np.float32)} for n, lab, a in samples]
    with atomic_open(path, "wb") as fh:
        pickle.dump({"split": split, "annotations": anns}, fh, protocol=4)


def write_stgcn(folder: str | os.PathLike[str], split: str, samples: Sequence[Sample], max_frames: int = 300,
                num_persons: int = 2) -> None:
    """``{split}_data.npy`` (N, C, T, V, M), ``{split}_label.pkl``, ``{split}_num_frame.npy``."""
    folder = pathlib.Path(folder)
    if not samples:
        raise DataFormatError(folder, f"no samples for split {split!r}")
    c, v = samples[0][2].shape[3], samples[0][2].shape[2]
    data = np.zeros((len(samples), c, max_frames, v, num_persons), dtype=np.float32)
    nframes = np.zeros(len(samples), dtype=np.int64)
    for i, (_, _, a) in enumerate(samples):
        f = min(a.shape[1], max_frames)
        m = min(a.shape[0], num_persons)
        data[i, :, :f, :, :m] = a[:m, :f].transpose(3, 1, 2, 0)
        nframes[i] = f
    with atomic_open(folder / f"{split}_data.npy", "wb") as fh:
        np.save(fh, data)
    with atomic_open(folder / f"{split}_num_frame.npy", "wb") as fh:
        np.save(fh, nframes)
    with atomic_open(folder / f"{split}_label.pkl", "wb") as fh:
        pickle.dump(([s[0] for s in samples], [int(s[1]) for s in samples]), fh)


def read_stgcn(folder: str | os.PathLike[str], split: str) -> list[Sample]:
    folder = pathlib.Path(folder)
    dpath, lpath = folder / f"{split}_data.npy", folder / f"{split}_label.pkl"
    for p in (dpath, lpath):
        if not p.is_file():
            raise DataFormatError(p, "ST-GCN array file not found")
    try:
        data = np.load(dpath, mmap_mode="r")
    except Exception as exc:
        raise DataFormatError(dpath, f"not a readable .npy ({exc})") from None
    if data.ndim != 5:
        raise DataFormatError(dpath, f"expected (N, C, T, V, M), got shape {data.shape}")
    try:
        with open(lpath, "rb") as fh:
            names, labels = pickle.load(fh)[:2]
    except Exception as exc:
        raise DataFormatError(lpath, f"expected a pickle of (names, labels) ({type(exc).__name__})") from None
    if len(names) != len(data) or len(labels) != len(data):
        raise DataFormatError(lpath, f"{len(names)} names / {len(labels)} labels for {len(data)} arrays")
    npath = folder / f"{split}_num_frame.npy"
    nframes = np.load(npath) if npath.is_file() else None
    out = []
    for i in range(len(data)):
        a = np.asarray(data[i]).transpose(3, 1, 2, 0)  # (M, T, V, C)
        if nframes is not None:
            f = int(nframes[i])
        else:
            nz = np.flatnonzero(np.abs(a).reshape(a.shape[0], a.shape[1], -1).sum((0, 2)) > 0)
            f = int(nz[-1]) + 1 if nz.size else 0
        out.append((str(names[i]).split(".")[0], int(labels[i]), np.ascontiguousarray(a[:, :f])))
    return out
