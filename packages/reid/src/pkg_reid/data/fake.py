"""Tiny datasets in exactly the official on-disk formats, drawn as synthetic people.

Each identity has its own shirt/trousers/head colours; each camera changes brightness and
background; each image gets position jitter and pixel noise. A small CNN can learn identity from
colour, so the demo's numbers move visibly within seconds.
"""

from __future__ import annotations

import pathlib

import numpy as np

from pkg_reid.data.cuhk03 import MAT, image_name
from pkg_shared.fsutil import atomic_open, atomic_path
from pkg_shared.io.image import write_image


def _palette(pid: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, abs(pid) + 7])
    return rng.integers(20, 236, size=(3, 3))  # shirt, trousers, head accent


def draw_person(pid: int, cam: int, rng: np.random.Generator, h: int = 128, w: int = 64, seed: int = 0) -> np.ndarray:
    """HxWx3 uint8 synthetic pedestrian for identity ``pid`` seen by camera ``cam``."""
    pal = _palette(pid, seed).astype(np.float64)
    cam_rng = np.random.default_rng([seed, 1000 + cam])
    bg = cam_rng.integers(60, 180, size=3).astype(np.float64)
    gain = 0.75 + 0.5 * cam_rng.random()
    img = np.empty((h, w, 3), np.float64)
    img[:] = bg
    dx = int(rng.integers(-w // 10, w // 10 + 1))
    dy = int(rng.integers(-h // 20, h // 20 + 1))
    cx = w // 2 + dx
    head = (slice(max(0, h // 16 + dy), max(1, h // 5 + dy)), slice(max(0, cx - w // 8), cx + w // 8))
    torso = (slice(max(0, h // 5 + dy), h // 2 + dy), slice(max(0, cx - w // 4), cx + w // 4))
    legs = (slice(h // 2 + dy, min(h, 15 * h // 16 + dy)), slice(max(0, cx - w // 5), cx + w // 5))
    img[head] = 0.5 * pal[2] + 0.5 * np.array([224.0, 172.0, 140.0])
    img[torso] = pal[0]
    img[legs] = pal[1]
    img = img * gain + rng.normal(0.0, 12.0, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _write(path: pathlib.Path, img: np.ndarray) -> None:
    write_image(path, img)


def make_market(
    out: str | pathlib.Path, *, ids: int = 12, cams: int = 3, per_cam: int = 2, test_ids: int | None = None,
    distractors: int = 4, junk: int = 3, nested: bool = True, seed: int = 0, height: int = 128, width: int = 64,
    gt_query: bool = True, extra_distractors: int = 0,
) -> pathlib.Path:
    """Market-1501 tree; returns the folder holding bounding_box_train/query/bounding_box_test.

    ``gt_query`` also writes the per-query good/junk index files; ``extra_distractors`` writes that
    many images into ``images/`` (the Market-1501+500k layout)."""
    out = pathlib.Path(out)
    base = out / "Market-1501-v15.09.15" if nested else out
    rng = np.random.default_rng(seed)
    test_ids = ids if test_ids is None else test_ids
    train_pids = [2 * i + 2 for i in range(ids)]  # even ids for training, odd for test (like 0002, 0007 ...)
    test_pids = [2 * i + 1 for i in range(test_ids)]
    frame = [0]

    def name(pid: int, cam: int, box: int = 1) -> str:
        frame[0] += 1
        p = "-1" if pid == -1 else f"{pid:04d}"
        return f"{p}_c{cam}s1_{frame[0] * 25:06d}_{box:02d}.jpg"

    for pid in train_pids:
        for cam in range(1, cams + 1):
            for _ in range(per_cam):
                _write(base / "bounding_box_train" / name(pid, cam), draw_person(pid, cam, rng, height, width, seed))
    for pid in test_pids:
        for cam in range(1, cams + 1):
            _write(base / "query" / name(pid, cam, 0), draw_person(pid, cam, rng, height, width, seed))
            for _ in range(per_cam):
                _write(base / "bounding_box_test" / name(pid, cam), draw_person(pid, cam, rng, height, width, seed))
    for i in range(distractors):
        _write(base / "bounding_box_test" / name(0, 1 + i % cams), draw_person(10_000 + i, 1 + i % cams, rng, height, width, seed))
    for i in range(junk):
        # junk detections: mostly background with a fragment of a random test person
        img = draw_person(test_pids[i % len(test_pids)], 1 + i % cams, rng, height, width, seed)
        img[: height // 2] = img[0, 0]
        _write(base / "bounding_box_test" / name(-1, 1 + i % cams), img)
    for i in range(extra_distractors):
        _write(base / "images" / name(0, 1 + i % cams), draw_person(20_000 + i, 1 + i % cams, rng, height, width, seed))
    if gt_query:
        write_gt_query(base)
    (base / "readme.txt").write_text("Synthetic Market-1501-format data written by pkg-reid (reid-data make-fake).\n")
    return base


def write_gt_query(base: pathlib.Path) -> None:
    """``gt_query/{query}_good.mat`` / ``_junk.mat`` as the MATLAB code reads them: 1-based indices
    into the name-sorted ``bounding_box_test`` listing; good = same id other camera, junk = same id
    same camera plus every -1 image."""
    from scipy.io import savemat

    from pkg_reid.data.market1501 import parse_name

    gallery = [parse_name(n) for n in sorted(p.name for p in (base / "bounding_box_test").glob("*.jpg"))]
    g_ids = np.array([g[0] for g in gallery])
    g_cams = np.array([g[1] for g in gallery])
    for q in sorted((base / "query").glob("*.jpg")):
        pid, cam = parse_name(q.name)
        good = np.nonzero((g_ids == pid) & (g_cams != cam))[0] + 1
        junk = np.nonzero(((g_ids == pid) & (g_cams == cam)) | (g_ids == -1))[0] + 1
        for kind, idx in (("good", good), ("junk", junk)):
            target = base / "gt_query" / f"{q.stem}_{kind}.mat"
            with atomic_open(target, "wb") as fh:
                savemat(fh, {f"{kind}_index": idx.astype(np.float64)[None, :]})


def make_duke(
    out: str | pathlib.Path, *, ids: int = 10, cams: int = 4, per_cam: int = 2, test_ids: int | None = None,
    distractor_ids: int = 3, seed: int = 0, height: int = 128, width: int = 64,
) -> pathlib.Path:
    out = pathlib.Path(out)
    base = out / "DukeMTMC-reID"
    rng = np.random.default_rng(seed + 1)
    test_ids = ids if test_ids is None else test_ids
    train_pids = [2 * i + 2 for i in range(ids)]
    test_pids = [2 * i + 1 for i in range(test_ids)]
    distr = [5000 + i for i in range(distractor_ids)]
    frame = [0]

    def name(pid: int, cam: int) -> str:
        frame[0] += 1
        return f"{pid:04d}_c{cam}_f{frame[0] * 120:07d}.jpg"

    for pid in train_pids:
        for cam in range(1, cams + 1):
            for _ in range(per_cam):
                _write(base / "bounding_box_train" / name(pid, cam), draw_person(pid, cam, rng, height, width, seed))
    for pid in test_pids:
        for cam in range(1, cams + 1):
            _write(base / "query" / name(pid, cam), draw_person(pid, cam, rng, height, width, seed))
            for _ in range(per_cam):
                _write(base / "bounding_box_test" / name(pid, cam), draw_person(pid, cam, rng, height, width, seed))
    for pid in distr:
        _write(base / "bounding_box_test" / name(pid, 1), draw_person(pid, 1, rng, height, width, seed))
    return base


def _h5_matlab(path: pathlib.Path):
    """Open an HDF5 file with MATLAB's 512-byte v7.3 user block (header text written afterwards)."""
    import h5py

    return h5py.File(path, "w", userblock_size=512)


def _write_matlab_header(path: pathlib.Path) -> None:
    text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created by: pkg-reid make-fake HDF5 schema 1.00 ."
    header = text.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
    with open(path, "r+b") as fh:
        fh.write(header.ljust(128, b"\x00"))


def make_cuhk03(
    out: str | pathlib.Path, *, persons_per_pair: int = 3, seed: int = 0, missing_every: int = 7,
    num_classic_splits: int = 20, classic_test_size: int = 4, height: int = 64, width: int = 32,
) -> pathlib.Path:
    """``cuhk03_release/cuhk-03.mat`` (HDF5, cell arrays of references) + new-protocol ``.mat`` files."""
    import h5py
    from scipy.io import savemat

    base = pathlib.Path(out) / "cuhk03"
    mat_path = base / MAT
    mat_path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 2)
    names: dict[str, list[str]] = {"labeled": [], "detected": []}
    with atomic_path(mat_path) as tmp:
        with _h5_matlab(tmp) as f:
            refs = f.create_group("#refs#")
            counter = [0]

            def new(data: np.ndarray, empty: bool = False):
                counter[0] += 1
                ds = refs.create_dataset(f"r{counter[0]}", data=data)
                if empty:
                    ds.attrs["MATLAB_empty"] = np.uint8(1)
                    ds.attrs["MATLAB_class"] = np.bytes_("double")
                else:
                    ds.attrs["MATLAB_class"] = np.bytes_("uint8" if data.dtype == np.uint8 else "double")
                return ds.ref

            for v, version in enumerate(("detected", "labeled")):
                pair_refs = []
                for pair in range(1, 6):
                    cells = np.empty((persons_per_pair, 10), dtype=h5py.ref_dtype)
                    for person in range(1, persons_per_pair + 1):
                        pid = pair * 100 + person
                        for idx in range(1, 11):
                            k = (pair * 31 + person * 7 + idx) % missing_every
                            if k == 0 and idx not in (1, 6):  # keep at least one image per view
                                cells[person - 1, idx - 1] = new(np.zeros(2, dtype=np.uint64), empty=True)
                                continue
                            cam = 2 * pair - 1 + (idx > 5)
                            img = draw_person(pid, cam, rng, height + 4 * v, width, seed)
                            cells[person - 1, idx - 1] = new(np.ascontiguousarray(img.T))
                            names[version].append(image_name(pair, person, idx))
                    ds = refs.create_dataset(f"cells_{version}_{pair}", data=cells.T)  # stored 10 x N
                    ds.attrs["MATLAB_class"] = np.bytes_("cell")
                    pair_refs.append(ds.ref)
                top = f.create_dataset(version, data=np.array([pair_refs], dtype=h5py.ref_dtype))
                top.attrs["MATLAB_class"] = np.bytes_("cell")
            split_refs = []
            all_pp = [(p, q) for p in range(1, 6) for q in range(1, persons_per_pair + 1)]
            for _ in range(num_classic_splits):
                pick = rng.choice(len(all_pp), size=classic_test_size, replace=False)
                arr = np.array([all_pp[i] for i in sorted(pick)], dtype=np.float64)  # k x 2
                split_refs.append(new(np.ascontiguousarray(arr.T)))
            ts = f.create_dataset("testsets", data=np.array([split_refs], dtype=h5py.ref_dtype))
            ts.attrs["MATLAB_class"] = np.bytes_("cell")
        _write_matlab_header(tmp)

    for version in ("labeled", "detected"):
        files = sorted(names[version])
        pids = sorted({(int(n.split("_")[0]), int(n.split("_")[1])) for n in files})
        label_of = {pp: i + 1 for i, pp in enumerate(pids)}
        labels = np.array([label_of[(int(n.split("_")[0]), int(n.split("_")[1]))] for n in files], dtype=np.float64)
        cams = np.array([int(n.split("_")[2]) for n in files], dtype=np.float64)
        n_train = len(pids) // 2
        train_idx, query_idx, gallery_idx = [], [], []
        seen: set[tuple[int, int]] = set()
        for i in range(1, len(files) + 1):
            lab = int(labels[i - 1])
            view = int(cams[i - 1])
            if lab <= n_train:
                train_idx.append(i)
            elif (lab, view) not in seen:  # one query per test identity and view
                seen.add((lab, view))
                query_idx.append(i)
            else:
                gallery_idx.append(i)
        filelist = np.empty((len(files), 1), dtype=object)
        for i, n in enumerate(files):
            filelist[i, 0] = n
        target = base / f"cuhk03_new_protocol_config_{version}.mat"
        with atomic_open(target, "wb") as fh:
            savemat(fh, {
                "filelist": filelist, "labels": labels[:, None], "camId": cams[:, None],
                "train_idx": np.array(train_idx, dtype=np.float64)[:, None],
                "query_idx": np.array(query_idx, dtype=np.float64)[:, None],
                "gallery_idx": np.array(gallery_idx, dtype=np.float64)[:, None],
            })
    return base


def make_fake(dataset: str, out: str | pathlib.Path, **kw) -> pathlib.Path:
    makers = {"market1501": make_market, "dukemtmcreid": make_duke, "cuhk03": make_cuhk03}
    if dataset not in makers:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {list(makers)}")
    return makers[dataset](out, **kw)
