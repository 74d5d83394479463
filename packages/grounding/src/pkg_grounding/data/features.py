"""Pre-extracted feature stores (``hdf5 | npy_dir | npz_dir``), fixed-length pooling, normalisation.

Layouts accepted (keyed by video id; DiDeMo keys are the full Flickr file name, a key without the
extension is accepted too):
* ``hdf5``: one dataset per video, shape (F, D) -- 2D-TAN ``vgg_rgb_features.hdf5``, MCN
  ``average_fc7.h5`` (6, D) -- or one group per video holding a ``features`` dataset;
* ``npy_dir``: ``DIR/<vid>.npy`` with (F, D) (I3D as distributed by VSLNet and others);
* ``npz_dir``: ``DIR/<vid>.npz`` with the array under ``npz_key`` (Moment-DETR style);
* ``h5_dir``: one HDF5 file per video holding a ``features`` dataset (MCN per-frame release, file
  names ``...fps25_<video>.h5``: the part after ``fps25_`` is the key, else the file stem).
"""

from __future__ import annotations

import os
import pathlib

import numpy as np

from pkg_shared.errors import DataFormatError


def detect_format(path: pathlib.Path) -> str:
    if path.is_file():
        if path.suffix.lower() in (".h5", ".hdf5", ".hdf"):
            return "hdf5"
        raise DataFormatError(path, "cannot tell the feature format from the file name (use features_format)")
    if path.is_dir():
        if any(path.glob("*.npy")):
            return "npy_dir"
        if any(path.glob("*.npz")):
            return "npz_dir"
        if any(path.glob("*.h5")):
            return "h5_dir"
        raise DataFormatError(path, "feature folder holds no .npy, .npz or .h5 files")
    raise DataFormatError(path, "feature file or folder not found")


class FeatureStore:
    """Read-only access to (F, D) float32 arrays by video id."""

    def __init__(self, path: str | os.PathLike[str], fmt: str = "auto", npz_key: str = "features") -> None:
        self.path = pathlib.Path(path)
        self.fmt = detect_format(self.path) if fmt == "auto" else fmt
        self.npz_key = npz_key
        self._h5 = None
        if self.fmt == "hdf5":
            import h5py

            if not self.path.is_file():
                raise DataFormatError(self.path, "HDF5 feature file not found")
            try:
                self._h5 = h5py.File(self.path, "r")
            except OSError as exc:
                raise DataFormatError(self.path, f"not a readable HDF5 file ({exc})") from exc
            self._keys = set(self._h5.keys())
        elif self.fmt == "h5_dir":
            if not self.path.is_dir():
                raise DataFormatError(self.path, "feature folder not found")
            self._files = {p.stem.split("fps25_", 1)[-1]: p for p in self.path.glob("*.h5")}
            self._keys = set(self._files)
        elif self.fmt in ("npy_dir", "npz_dir"):
            if not self.path.is_dir():
                raise DataFormatError(self.path, "feature folder not found")
            ext = ".npy" if self.fmt == "npy_dir" else ".npz"
            self._keys = {p.name[: -len(ext)] for p in self.path.iterdir() if p.name.endswith(ext)}
        else:
            raise DataFormatError(self.path, f"unknown feature format {fmt!r}")

    def _key(self, vid: str) -> str | None:
        if vid in self._keys:
            return vid
        stem = vid.rsplit(".", 1)[0]
        return stem if stem in self._keys else None

    def __contains__(self, vid: str) -> bool:
        return self._key(vid) is not None

    def keys(self) -> set[str]:
        return set(self._keys)

    def get(self, vid: str) -> np.ndarray:
        key = self._key(vid)
        if key is None:
            raise DataFormatError(self.path, f"no features for video {vid!r}")
        if self.fmt == "hdf5":
            node = self._h5[key]
            if not hasattr(node, "shape"):
                if "features" not in node:
                    raise DataFormatError(self.path, f"group {key!r} has no 'features' dataset")
                node = node["features"]
            arr = np.asarray(node[()], dtype=np.float32)
        elif self.fmt == "h5_dir":
            import h5py

            f = self._files[key]
            try:
                with h5py.File(f, "r") as h:
                    if "features" not in h:
                        raise DataFormatError(f, "no 'features' dataset")
                    arr = np.asarray(h["features"][()], dtype=np.float32)
            except OSError as exc:
                raise DataFormatError(f, f"not a readable HDF5 file ({exc})") from exc
        elif self.fmt == "npy_dir":
            try:
                arr = np.load(self.path / f"{key}.npy").astype(np.float32)
            except ValueError as exc:
                raise DataFormatError(self.path / f"{key}.npy", f"not a readable .npy file ({exc})") from exc
        else:
            f = self.path / f"{key}.npz"
            try:
                with np.load(f) as z:
                    if self.npz_key not in z:
                        raise DataFormatError(f, f"no array {self.npz_key!r} (has {sorted(z.keys())})")
                    arr = z[self.npz_key].astype(np.float32)
            except (ValueError, OSError) as exc:
                raise DataFormatError(f, f"not a readable .npz file ({exc})") from exc
        if arr.ndim == 1:
            arr = arr[None]
        if arr.ndim != 2 or arr.shape[0] == 0:
            raise DataFormatError(self.path, f"features of {vid!r} must be a non-empty (F, D) array, got {arr.shape}")
        return arr

    def dim(self) -> int:
        return int(self.get(next(iter(sorted(self._keys)))).shape[1])

    def close(self) -> None:
        if self._h5 is not None:
            self._h5.close()
            self._h5 = None


def average_to_fixed_length(feats: np.ndarray, num_steps: int) -> np.ndarray:
    """2D-TAN ``average_to_fixed_length``: mean over rounded equal spans (a single row when empty)."""
    n = feats.shape[0]
    idx = np.minimum(np.round(np.arange(num_steps + 1) / num_steps * n).astype(np.int64), n - 1)
    out = np.empty((num_steps, feats.shape[1]), dtype=np.float32)
    for i in range(num_steps):
        s, e = idx[i], idx[i + 1]
        out[i] = feats[s:e].mean(0) if s < e else feats[s]
    return out


def crop_to_duration(feats: np.ndarray, rate: float, duration: float) -> np.ndarray:
    """Keep the features that cover [0, duration] at ``rate`` features/s (repeat the last if short)."""
    n = max(1, int(round(duration * rate)))
    if feats.shape[0] >= n:
        return feats[:n]
    return np.concatenate([feats, np.repeat(feats[-1:], n - feats.shape[0], 0)], 0)


def didemo_steps(feats: np.ndarray, num_segments: int, k: int, rate: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """DiDeMo features -> (6k, D) steps and a (6k,) mask (steps beyond num_segments or empty are 0).

    (6, D) chunk averages (MCN ``average_fc7.h5``) are repeated k times; longer arrays are per-frame
    features at ``rate`` per second (MCN: 5/s) averaged over each 5/k-second step.
    """
    t = 6 * k
    if feats.shape[0] == 6:
        steps = np.repeat(feats, k, axis=0)
        mask = np.repeat((np.abs(feats).sum(1) > 0).astype(np.float32), k)
    else:
        steps = np.zeros((t, feats.shape[1]), dtype=np.float32)
        mask = np.zeros(t, dtype=np.float32)
        per = 5.0 / k * rate
        for s in range(t):
            a, b = int(np.floor(s * per)), int(np.floor((s + 1) * per))
            if a < min(b, feats.shape[0]):
                steps[s] = feats[a:b].mean(0)
                mask[s] = 1.0
    mask[num_segments * k:] = 0.0
    mask[0] = 1.0  # a query always has at least one valid step
    return steps * mask[:, None], mask


def normalize(feats: np.ndarray, how: str) -> np.ndarray:
    if how == "l2":
        return feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
    if how == "standardise":
        return (feats - feats.mean(0, keepdims=True)) / np.maximum(feats.std(0, keepdims=True), 1e-6)
    return feats
