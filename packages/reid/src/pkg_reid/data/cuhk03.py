"""CUHK03 reader: ``cuhk03_release/cuhk-03.mat`` (MATLAB v7.3 = HDF5, read with h5py) plus the
new-protocol split files ``cuhk03_new_protocol_config_{labeled,detected}.mat`` (MATLAB v5, scipy).

HDF5 layout (as MATLAB writes cell arrays): ``detected`` / ``labeled`` are 1x5 arrays of object
references (one per camera pair); each points to a 10 x N_persons reference array (transposed
N x 10 cell); each of those points to one image stored transposed as 3 x W x H uint8, or to an
empty array (a missing image). Images 1-5 of a row are view 1, images 6-10 view 2. ``testsets``
holds 20 references to 2 x 100 arrays of 1-based [camera pair, person] (the classic splits).

Images are extracted once to ``images_{version}/{pair}_{person:03d}_{view}_{index:02d}.png``.
A small ``.extracted.json`` beside them records the source file's size and mtime and the image
count so a stale or partial cache is re-extracted instead of silently reused.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from pkg_reid.data.common import ReidSplits, Sample
from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_write_json

MAT = pathlib.Path("cuhk03_release") / "cuhk-03.mat"


def find_root(root: str | pathlib.Path) -> pathlib.Path:
    root = pathlib.Path(root)
    for cand in (root, root / "cuhk03"):
        if (cand / MAT).is_file():
            return cand
    if not root.exists():
        raise DataFormatError(root, "dataset root not found")
    raise DataFormatError(root / MAT, "CUHK03 file not found (expected cuhk03_release/cuhk-03.mat)")


def _open_h5(path: pathlib.Path):
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise DataFormatError(path, f"not a MATLAB v7.3 (HDF5) file ({exc})") from exc


def _report(problems: list[str] | None, path: pathlib.Path, msg: str) -> None:
    """Raise at the first problem (readers) or collect it and go on (``reid-data check``)."""
    if problems is None:
        raise DataFormatError(path, msg)
    problems.append(f"{path}: {msg}")


def _deref(f, ref, path: pathlib.Path, what: str) -> np.ndarray:
    try:
        return f[ref][()]
    except Exception as exc:
        raise DataFormatError(path, f"broken object reference in {what} ({exc})") from exc


def image_name(pair: int, person: int, index: int) -> str:
    """1-based pair/person/index -> the new protocol's file name (view = 1 for index <= 5)."""
    view = 1 if index <= 5 else 2
    return f"{pair}_{person:03d}_{view}_{index:02d}.png"


def iter_images(mat_path: pathlib.Path, version: str, problems: list[str] | None = None):
    """Yield (pair, person, index, HxWx3 uint8) with 1-based numbers, skipping empty cells.

    With ``problems`` given, a broken pair or cell is recorded there and skipped.
    """
    with _open_h5(mat_path) as f:
        if version not in f:
            raise DataFormatError(mat_path, f"no '{version}' dataset (found: {', '.join(f.keys())})")
        pairs = f[version]
        if pairs.ndim != 2 or pairs.shape[0] != 1:
            raise DataFormatError(mat_path, f"'{version}' should be a 1x5 cell array, has shape {pairs.shape}")
        for p, pref in enumerate(pairs[0], 1):
            try:
                cells = _deref(f, pref, mat_path, f"{version}{{{p}}}").T  # N_persons x 10
            except DataFormatError as exc:
                _report(problems, mat_path, exc.problem)
                continue
            if cells.ndim != 2 or cells.shape[1] != 10:
                _report(problems, mat_path, f"{version}{{{p}}} should be N x 10 cells, has shape {cells.shape}")
                continue
            for person in range(cells.shape[0]):
                for idx in range(10):
                    where = f"{version}{{{p}}}{{{person + 1},{idx + 1}}}"
                    try:
                        img = _deref(f, cells[person, idx], mat_path, where)
                    except DataFormatError as exc:
                        _report(problems, mat_path, exc.problem)
                        continue
                    if img.size == 0 or img.ndim < 3:
                        continue
                    img = np.ascontiguousarray(img.T)
                    if img.shape[2] != 3 or img.dtype != np.uint8:
                        _report(problems, mat_path, f"{where}: expected an HxWx3 uint8 image, got {img.shape} {img.dtype}")
                        continue
                    yield p, person + 1, idx + 1, img


def classic_splits(mat_path: pathlib.Path, problems: list[str] | None = None) -> list[list[tuple[int, int]]]:
    """The 20 classic test splits as lists of 1-based (pair, person); broken ones are reported."""
    with _open_h5(mat_path) as f:
        if "testsets" not in f:
            _report(problems, mat_path, "no 'testsets' dataset (classic protocol splits)")
            return []
        out = []
        for i, ref in enumerate(f["testsets"][0]):
            try:
                arr = _deref(f, ref, mat_path, f"testsets{{{i + 1}}}").T
            except DataFormatError as exc:
                _report(problems, mat_path, exc.problem)
                continue
            if arr.ndim != 2 or arr.shape[1] != 2:
                _report(problems, mat_path, f"testsets{{{i + 1}}} should be 100 x 2, has shape {arr.shape}")
                continue
            out.append([(int(a), int(b)) for a, b in arr])
        return out


def extract(root: pathlib.Path, version: str, out_dir: pathlib.Path | None = None,
            problems: list[str] | None = None) -> pathlib.Path:
    """Write the PNGs of one version once; returns the image folder.

    The cache marker is only written when the file held no problem, so a cache built while
    ``reid-data check`` skipped broken cells is rebuilt (and fails loudly) by the next reader.
    """
    from pkg_shared.io.image import write_image

    mat_path = root / MAT
    out_dir = out_dir or root / f"images_{version}"
    marker = out_dir / ".extracted.json"
    st = mat_path.stat()
    key = {"source": str(mat_path.resolve()), "size": st.st_size, "mtime": int(st.st_mtime)}
    if marker.is_file():
        try:
            info = json.loads(marker.read_text())
            if info.get("key") == key and len(list(out_dir.glob("*.png"))) == info.get("count"):
                return out_dir
        except (ValueError, OSError):
            pass
    out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    n_before = 0 if problems is None else len(problems)
    for pair, person, idx, img in iter_images(mat_path, version, problems):
        target = out_dir / image_name(pair, person, idx)
        write_image(target, img)
        count += 1
    if count == 0:
        _report(problems, mat_path, f"'{version}' holds no images")
    if problems is None or len(problems) == n_before:
        atomic_write_json(marker, {"key": key, "count": count})
    return out_dir


def _cell_str(x) -> str:
    while isinstance(x, np.ndarray):
        if x.size == 0:
            return ""
        x = x.flat[0] if x.dtype == object or x.ndim > 1 or x.size > 1 else x.reshape(-1)[0]
    return str(x)


def _idx(cfg: dict, key: str, n: int, path: pathlib.Path, problems: list[str] | None) -> np.ndarray:
    if key not in cfg:
        _report(problems, path, f"missing variable '{key}'")
        return np.zeros(0, np.int64)
    idx = np.asarray(cfg[key]).reshape(-1).astype(np.int64)
    bad = np.nonzero((idx < 1) | (idx > n))[0]
    for b in bad:
        _report(problems, path, f"{key}[{b + 1}] = {idx[b]} is outside 1..{n} (indices are 1-based)")
    return np.delete(idx, bad) - 1


def read_new_protocol(root: pathlib.Path, version: str, image_dir: pathlib.Path | None,
                      problems: list[str] | None = None) -> tuple[list, list, list]:
    """Train/query/gallery of the 767/700 protocol (``image_dir=None``: names only, no file check)."""
    from scipy.io import loadmat

    path = root / f"cuhk03_new_protocol_config_{version}.mat"
    if not path.is_file():
        _report(problems, path, "new-protocol split file not found")
        return [], [], []
    try:
        cfg = loadmat(str(path))
    except Exception as exc:
        _report(problems, path, f"not a readable MATLAB v5 file ({exc})")
        return [], [], []
    missing = [key for key in ("filelist", "labels") if key not in cfg]
    for key in missing:
        _report(problems, path, f"missing variable '{key}'")
    if missing:
        return [], [], []
    names = [_cell_str(x) for x in np.asarray(cfg["filelist"]).reshape(-1)]
    labels = np.asarray(cfg["labels"]).reshape(-1).astype(np.int64)
    if len(labels) != len(names):
        _report(problems, path, f"'labels' has {len(labels)} entries but 'filelist' has {len(names)}")
        return [], [], []
    splits = []
    for key in ("train_idx", "query_idx", "gallery_idx"):
        items = []
        for i in _idx(cfg, key, len(names), path, problems):
            name = names[i]
            fields = name.split("_")
            if len(fields) != 4 or not fields[2].isdigit():
                _report(problems, path, f"filelist[{i + 1}] = {name!r} is not a pair_person_view_index.png name")
                continue
            img = (image_dir if image_dir is not None else root / f"images_{version}") / name
            if image_dir is not None and not img.is_file():
                _report(problems, img, f"image listed in {path.name} (filelist[{i + 1}]) not found")
                continue
            items.append(Sample(str(img), int(labels[i]), int(fields[2])))
        splits.append(items)
    return splits[0], splits[1], splits[2]


def read_classic(root: pathlib.Path, split: int, image_dir: pathlib.Path | None,
                 problems: list[str] | None = None) -> tuple[list, list, list]:
    if image_dir is None:  # the .mat file itself is unreadable (already reported)
        return [], [], []
    tests = classic_splits(root / MAT, problems)
    if not 0 <= split < len(tests):  # an impossible option, not a data problem: always an error
        raise DataFormatError(root / MAT, f"classic split {split} requested; the file has {len(tests)} (0-based)")
    test = set(tests[split])
    train, query, gallery = [], [], []
    for p in sorted(image_dir.glob("*.png")):
        pair, person, view, _ = (int(v) for v in p.stem.split("_"))
        pid = pair * 10000 + person  # unique across camera pairs
        s = Sample(str(p), pid, view)
        if (pair, person) in test:
            (query if view == 1 else gallery).append(s)
        else:
            train.append(s)
    return train, query, gallery


def read(
    root: str | pathlib.Path, *, version: str = "labeled", protocol: str = "new", split: int = 0,
    collect_problems: bool = False,
) -> ReidSplits:
    """Splits of one version and protocol. ``collect_problems`` (``reid-data check``) records every
    problem instead of raising at the first, and then also validates the other protocol's split data."""
    base = find_root(root)
    if version not in ("labeled", "detected"):
        raise DataFormatError(base, f"unknown CUHK03 version {version!r} (labeled or detected)")
    if protocol not in ("new", "classic"):
        raise DataFormatError(base, f"unknown CUHK03 protocol {protocol!r} (new or classic)")
    problems: list[str] | None = [] if collect_problems else None
    try:
        image_dir: pathlib.Path | None = extract(base, version, problems=problems)
    except DataFormatError as exc:
        if problems is None:
            raise
        problems.append(str(exc))  # unreadable .mat: still check the split files, not the images
        image_dir = None
    if protocol == "new":
        train, query, gallery = read_new_protocol(base, version, image_dir, problems)
        if problems is not None and image_dir is not None:
            classic_splits(base / MAT, problems)
    else:
        train, query, gallery = read_classic(base, split, image_dir, problems)
        if problems is not None:
            read_new_protocol(base, version, image_dir, problems)
    if problems is not None:
        for name, items in (("train", train), ("query", query), ("gallery", gallery)):
            if not items:
                problems.append(f"{base}: the {protocol}-protocol {name} split of '{version}' is empty")
    return ReidSplits(f"cuhk03_{version}_{protocol}", train, query, gallery, problems or [])
