"""PANNs' packed HDF5 (read; written for fixtures and by ``audio-data pack-hdf5``).

Two kinds of file, as PANNs' ``pack_audio_files_to_hdf5`` / ``create_indexes`` write them:

- *waveform* files: datasets ``audio_name`` (S20, ``Y<ytid>.wav``), ``waveform`` (int16, N x L,
  decoded /32767 as PANNs does), ``target`` (bool, N x K);
- *index* files (e.g. ``indexes/full_train.h5`` over the 41 unbalanced parts): ``audio_name``,
  ``target``, ``hdf5_path`` (the waveform file of each row, an absolute path on the machine that
  made it) and ``index_in_hdf5`` (the row in that file). A stored path that does not exist here is
  looked up by file name below ``waveforms_dir`` (default: the folder above the index's folder,
  PANNs' ``hdf5s/``), so a copied workspace works without rewriting the index.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable, Sequence

import numpy as np

from pkg_shared.errors import DataFormatError, require
from pkg_shared.fsutil import atomic_path


def _h5py():
    return require("h5py", "hdf5", "pkg-audio")


def _text(x) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)


def _resolve_waveform_files(index: pathlib.Path, stored: Sequence[str], waveforms_dir: pathlib.Path | None) -> dict[str, pathlib.Path]:
    """Stored hdf5_path -> a file on this machine (as stored, relative to the index, or by file name)."""
    out: dict[str, pathlib.Path] = {}
    by_name: dict[str, list[pathlib.Path]] | None = None
    search = waveforms_dir or index.parent.parent
    for s in sorted(set(stored)):
        p = pathlib.Path(s)
        cand = p if p.is_absolute() else index.parent / p
        if cand.is_file():
            out[s] = cand
            continue
        if by_name is None:
            by_name = {}
            for dirpath, _, files in os.walk(search):
                for f in files:
                    by_name.setdefault(f, []).append(pathlib.Path(dirpath) / f)
        # PANNs names an index like its waveform file (indexes/eval.h5, waveforms/eval.h5): take the one with waveforms
        hits = [c for c in sorted(by_name.get(p.name, [])) if c.resolve() != index.resolve() and _has_waveforms(c)]
        if not hits:
            raise DataFormatError(index, f"waveform file {s} not found (nor {p.name} below {search}; set data.hdf5_waveforms_dir)")
        out[s] = hits[0]
    return out


def _has_waveforms(path: pathlib.Path) -> bool:
    try:
        with _h5py().File(path, "r") as f:
            return "waveform" in f
    except OSError:
        return False


def read_hdf5_index(path: str | os.PathLike[str], num_classes: int | None = None,
                    waveforms_dir: str | os.PathLike[str] | None = None) -> tuple[list[str], np.ndarray, Hdf5Reader]:
    """(clip names without 'Y'/extension, targets (N, K) float32, a reader of row i) for a waveform or index file."""
    h5py = _h5py()
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "HDF5 file not found")
    rows: list[tuple[str, int]] | None = None
    try:
        with h5py.File(path, "r") as f:
            for key in ("audio_name", "target"):
                if key not in f:
                    raise DataFormatError(path, f"missing dataset '{key}' (expected PANNs' packed layout)")
            names = [_text(n) for n in f["audio_name"][:]]
            target = np.asarray(f["target"][:], dtype=np.float32)
            if "waveform" in f:
                n = f["waveform"].shape[0]
                if f["waveform"].dtype != np.int16:
                    raise DataFormatError(path, f"waveform dtype is {f['waveform'].dtype}, expected int16")
            elif "hdf5_path" in f and "index_in_hdf5" in f:
                stored = [_text(s) for s in f["hdf5_path"][:]]
                pos = [int(i) for i in f["index_in_hdf5"][:]]
                n = len(stored)
                if len(pos) != n:
                    raise DataFormatError(path, f"hdf5_path ({n}) and index_in_hdf5 ({len(pos)}) lengths differ")
                rows = list(zip(stored, pos))
            else:
                raise DataFormatError(path, "missing dataset 'waveform' (a waveform file) or 'hdf5_path' + "
                                            "'index_in_hdf5' (an index file)")
    except OSError as exc:
        raise DataFormatError(path, f"not a readable HDF5 file ({exc})") from exc
    if len(names) != n or target.shape[0] != n:
        raise DataFormatError(path, f"audio_name ({len(names)}), rows ({n}) and target ({target.shape[0]}) lengths differ")
    if num_classes is not None and target.ndim == 2 and target.shape[1] != num_classes:
        raise DataFormatError(path, f"target has {target.shape[1]} classes, the class list has {num_classes}")
    ids = [pathlib.PurePath(x).stem.removeprefix("Y") for x in names]
    if rows is None:
        return ids, target, Hdf5Reader([path], [(0, i) for i in range(n)])
    files = _resolve_waveform_files(path, [s for s, _ in rows], pathlib.Path(waveforms_dir) if waveforms_dir else None)
    order = sorted(set(files.values()))
    fid = {p: k for k, p in enumerate(order)}
    return ids, target, Hdf5Reader(order, [(fid[files[s]], i) for s, i in rows])


class Hdf5Reader:
    """Row ``i`` -> float32 waveform; files are opened lazily (and again after pickling)."""

    def __init__(self, files: Sequence[pathlib.Path], rows: Sequence[tuple[int, int]]) -> None:
        self.files = [pathlib.Path(f) for f in files]
        self.rows = list(rows)
        self._open: dict[int, object] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def read(self, i: int) -> np.ndarray:
        k, row = self.rows[i]
        f = self._open.get(k)
        if f is None:
            f = self._open[k] = _h5py().File(self.files[k], "r")
        try:
            wave = f["waveform"][row]
        except (KeyError, IndexError, ValueError) as exc:
            raise DataFormatError(self.files[k], f"cannot read waveform row {row} ({exc})") from exc
        return wave.astype(np.float32) / 32767.0

    def __getstate__(self):
        return {"files": self.files, "rows": self.rows, "_open": {}}


def write_hdf5(path: str | os.PathLike[str], names: Sequence[str], waves: np.ndarray, targets: np.ndarray) -> None:
    """Pack float waveforms (N, L) in [-1, 1] as int16*32767 with bool targets (atomic)."""
    waves = np.asarray(waves)
    pack_hdf5(path, names, np.asarray(targets), waves.shape[1], lambda i: waves[i])


def pack_hdf5(path: str | os.PathLike[str], names: Sequence[str], targets: np.ndarray, length: int,
              load: Callable[[int], np.ndarray], progress: Callable[[int], None] | None = None) -> None:
    """Stream N clips (``load(i)`` -> float (length,)) into a PANNs waveform file, one row at a time.

    Memory stays at one clip (the 2 M-clip unbalanced set does not fit in RAM). Written to a
    temporary file beside ``path`` and renamed at the end: an error leaves no half-written file.
    """
    h5py = _h5py()
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("audio_name", data=np.array([n.encode() for n in names], dtype="S20"))
        wav = f.create_dataset("waveform", shape=(len(names), length), dtype=np.int16,
                               chunks=(1, length) if len(names) else None)
        f.create_dataset("target", data=np.asarray(targets) > 0)
        for i in range(len(names)):
            w = np.asarray(load(i), dtype=np.float32)
            if w.shape != (length,):
                raise ValueError(f"clip {i} has shape {w.shape}, expected ({length},)")
            wav[i] = (np.clip(w, -1, 1) * 32767.0).astype(np.int16)
            if progress is not None:
                progress(i + 1)


def write_hdf5_index(path: str | os.PathLike[str], waveform_files: Sequence[str | os.PathLike[str]]) -> int:
    """PANNs' index file over one or more waveform files (absolute paths, as PANNs stores them)."""
    h5py = _h5py()
    names, targets, paths, rows = [], [], [], []
    for wf in waveform_files:
        wf = pathlib.Path(wf)
        with h5py.File(wf, "r") as f:
            n = f["audio_name"].shape[0]
            names.extend(f["audio_name"][:])
            targets.append(np.asarray(f["target"][:]))
            paths.extend([str(wf.resolve()).encode()] * n)
            rows.extend(range(n))
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("audio_name", data=np.array(names, dtype="S20"))
        f.create_dataset("target", data=np.concatenate(targets) > 0)
        f.create_dataset("hdf5_path", data=np.array(paths, dtype="S200"))
        f.create_dataset("index_in_hdf5", data=np.array(rows, dtype=np.int32))
    return len(names)
