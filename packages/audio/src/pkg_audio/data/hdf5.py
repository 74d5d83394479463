"""PANNs' packed HDF5 (read-only use; the writer exists for fixtures and ``audio-data pack-hdf5``).

Datasets: ``audio_name`` (S20, ``Y<ytid>.wav``), ``waveform`` (int16, N x L, decoded /32767 as
PANNs does), ``target`` (bool, N x K). Optional attributes are ignored.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence

import numpy as np

from pkg_shared.errors import DataFormatError, require


def _h5py():
    return require("h5py", "hdf5", "pkg-audio")


def read_hdf5_index(path: str | os.PathLike[str], num_classes: int | None = None) -> tuple[list[str], np.ndarray, int]:
    """(clip names without 'Y'/extension, targets (N, K) float32, waveform length)."""
    h5py = _h5py()
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "HDF5 file not found")
    try:
        with h5py.File(path, "r") as f:
            for key in ("audio_name", "waveform", "target"):
                if key not in f:
                    raise DataFormatError(path, f"missing dataset '{key}' (expected PANNs' packed layout)")
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["audio_name"][:]]
            target = np.asarray(f["target"][:], dtype=np.float32)
            n, length = f["waveform"].shape
            if f["waveform"].dtype != np.int16:
                raise DataFormatError(path, f"waveform dtype is {f['waveform'].dtype}, expected int16")
    except OSError as exc:
        raise DataFormatError(path, f"not a readable HDF5 file ({exc})") from exc
    if len(names) != n or target.shape[0] != n:
        raise DataFormatError(path, f"audio_name ({len(names)}), waveform ({n}) and target ({target.shape[0]}) lengths differ")
    if num_classes is not None and target.shape[1] != num_classes:
        raise DataFormatError(path, f"target has {target.shape[1]} classes, the class list has {num_classes}")
    ids = [pathlib.PurePath(x).stem.removeprefix("Y") for x in names]
    return ids, target, int(length)


class Hdf5Reader:
    """Lazily opened (per thread/process) reader of one waveform row."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = pathlib.Path(path)
        self._file = None

    def read(self, i: int) -> np.ndarray:
        if self._file is None:
            self._file = _h5py().File(self.path, "r")
        return self._file["waveform"][i].astype(np.float32) / 32767.0

    def __getstate__(self):
        return {"path": self.path, "_file": None}


def write_hdf5(path: str | os.PathLike[str], names: Sequence[str], waves: np.ndarray, targets: np.ndarray) -> None:
    """Pack float waveforms (N, L) in [-1, 1] as int16*32767 with bool targets (atomic)."""
    h5py = _h5py()
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with h5py.File(tmp, "w") as f:
        f.create_dataset("audio_name", data=np.array([n.encode() for n in names], dtype="S20"))
        f.create_dataset("waveform", data=(np.clip(waves, -1, 1) * 32767.0).astype(np.int16))
        f.create_dataset("target", data=np.asarray(targets) > 0)
    os.replace(tmp, path)
