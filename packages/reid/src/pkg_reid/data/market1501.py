"""Market-1501 reader (official layout ``Market-1501-v15.09.15/``).

Names ``PPPP_cCsS_FFFFFF_BB.jpg``; PPPP may be ``-1`` (junk detections) or ``0000``
(distractors), both only in ``bounding_box_test``. The root may be the extracted folder itself or
a parent holding ``Market-1501-v15.09.15/`` (both layouts are common). Junk images are kept in the
gallery: the evaluator's masks remove them per query (official protocol); ``drop_junk=True`` drops
them at load time like torchreid.

Optional parts of the release:
- ``images/``: the Market-1501+500k distractor set, appended to the gallery with ``distractors=True``.
  Names in the Market scheme keep their id and camera; any other ``.jpg`` name counts as a distractor
  (id 0) of camera 0, i.e. a negative for every query.
- ``gt_query/{query}_good.mat`` / ``_junk.mat``: the index lists of the MATLAB evaluation, read as
  1-based positions in the name-sorted ``bounding_box_test/*.jpg`` listing (MATLAB ``dir`` order).
  ``gt_query_masks`` turns them into (good, junk) masks and ``cross_check_gt_query`` compares them
  with the rule-based masks (``reid-data check`` reports every query where they differ).
"""

from __future__ import annotations

import pathlib
import re

import numpy as np

from pkg_reid.data.common import ReidSplits, Sample, read_name_folder
from pkg_shared.errors import DataFormatError

NAME = re.compile(r"^(-?\d+)_c(\d)s(\d)_(\d+)_(\d+)\.jpg$")
SUBDIR = "Market-1501-v15.09.15"
SPLITS = ("bounding_box_train", "query", "bounding_box_test")


def parse_name(name: str) -> tuple[int, int] | None:
    m = NAME.match(name)
    return (int(m.group(1)), int(m.group(2))) if m else None


def find_root(root: str | pathlib.Path, splits: tuple[str, ...] = SPLITS, subdir: str = SUBDIR) -> pathlib.Path:
    root = pathlib.Path(root)
    for cand in (root, root / subdir):
        if all((cand / s).is_dir() for s in splits):
            return cand
    if not root.exists():
        raise DataFormatError(root, "dataset root not found")
    raise DataFormatError(root, f"expected folders {', '.join(splits)} here or under {subdir}/")


def distractor_folder(root: str | pathlib.Path) -> pathlib.Path | None:
    base = find_root(root)
    for cand in (base / "images", pathlib.Path(root) / "images"):
        if cand.is_dir():
            return cand
    return None


def read_distractors(folder: pathlib.Path) -> list[Sample]:
    out = []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() != ".jpg" or not p.is_file():
            continue
        parsed = parse_name(p.name)
        out.append(Sample(str(p), parsed[0], parsed[1]) if parsed else Sample(str(p), 0, 0))
    if not out:
        raise DataFormatError(folder, "distractor folder holds no .jpg images")
    return out


def read(root: str | pathlib.Path, *, drop_junk: bool = False, collect_problems: bool = False,
         distractors: bool = False) -> ReidSplits:
    base = find_root(root)
    problems: list[str] | None = [] if collect_problems else None
    train = read_name_folder(base / "bounding_box_train", parse_name, ".jpg", 6, problems)
    query = read_name_folder(base / "query", parse_name, ".jpg", 6, problems)
    gallery = read_name_folder(base / "bounding_box_test", parse_name, ".jpg", 6, problems)
    for split, items in (("bounding_box_train", train), ("query", query)):
        bad = [s for s in items if s.pid <= 0]
        if bad:
            msg = f"{split} must not contain junk/distractor ids (-1/0000), found {len(bad)}"
            if problems is None:
                raise DataFormatError(bad[0].path, msg)
            problems.append(f"{bad[0].path}: {msg}")
            items[:] = [s for s in items if s.pid > 0]
    if drop_junk:
        gallery = [s for s in gallery if s.pid != -1]
    name = "market1501"
    if distractors:
        folder = distractor_folder(root)
        if folder is None:
            raise DataFormatError(base / "images", "Market-1501+500k distractor folder not found (images/)")
        gallery = gallery + read_distractors(folder)
        name = "market1501+500k"
    return ReidSplits(name, train, query, gallery, problems or [])


def _index_file(path: pathlib.Path, prefer: str, n: int) -> np.ndarray:
    from scipy.io import loadmat

    try:
        m = loadmat(str(path))
    except Exception as exc:
        raise DataFormatError(path, f"not a readable MATLAB file ({exc})") from exc
    keys = [k for k in m if not k.startswith("__")]
    if not keys:
        raise DataFormatError(path, "holds no variable (expected an index list such as " + prefer + ")")
    idx = np.asarray(m[prefer if prefer in m else keys[0]]).reshape(-1)
    if idx.size and (not np.all(np.isfinite(idx)) or np.any(idx != np.round(idx))):
        raise DataFormatError(path, "index list holds non-integer values")
    idx = idx.astype(np.int64)
    bad = np.nonzero((idx < 1) | (idx > n))[0]
    if len(bad):
        raise DataFormatError(path, f"index {idx[bad[0]]} (entry {bad[0] + 1}) outside 1..{n} of bounding_box_test")
    return idx - 1


def gt_query_masks(root: str | pathlib.Path, q_paths, g_paths) -> tuple[np.ndarray, np.ndarray]:
    """(good, junk) masks of shape (len(q_paths), len(g_paths)) from Market's ``gt_query`` files.

    Gallery entries outside ``bounding_box_test`` (e.g. 500k distractors) are negatives."""
    base = find_root(root)
    folder = base / "gt_query"
    if not folder.is_dir():
        raise DataFormatError(folder, "gt_query folder not found")
    listing = sorted(p.name for p in (base / "bounding_box_test").iterdir() if p.suffix.lower() == ".jpg")
    col = {}
    for j, g in enumerate(g_paths):
        gp = pathlib.Path(str(g))
        if gp.parent.name == "bounding_box_test":
            col[gp.name] = j
    to_col = np.array([col.get(name, -1) for name in listing], dtype=np.int64)
    good = np.zeros((len(q_paths), len(g_paths)), bool)
    junk = np.zeros_like(good)
    for i, qp in enumerate(q_paths):
        stem = pathlib.Path(str(qp)).stem
        for kind, mask in (("good", good), ("junk", junk)):
            path = folder / f"{stem}_{kind}.mat"
            if not path.is_file():
                raise DataFormatError(path, f"gt_query file of query {pathlib.Path(str(qp)).name} not found")
            cols = to_col[_index_file(path, f"{kind}_index", len(listing))]
            mask[i, cols[cols >= 0]] = True
    return good, junk


def cross_check_gt_query(root: str | pathlib.Path, splits: ReidSplits, max_listed: int = 20) -> tuple[dict, list[str]]:
    """Compare the ``gt_query`` index files with the rule-based masks; (summary, problem lines)."""
    from pkg_shared.metrics.retrieval import market_masks

    gallery = [s for s in splits.gallery if pathlib.Path(s.path).parent.name == "bounding_box_test"]
    q_paths, g_paths = [s.path for s in splits.query], [s.path for s in gallery]
    try:
        good_f, junk_f = gt_query_masks(root, q_paths, g_paths)
    except DataFormatError as exc:
        return {"queries": len(q_paths), "checked": False}, [str(exc)]
    good_r, junk_r = market_masks(np.array([s.pid for s in splits.query]), np.array([s.camid for s in splits.query]),
                                  np.array([s.pid for s in gallery]), np.array([s.camid for s in gallery]))
    bad_good = np.nonzero((good_f != good_r).any(1))[0]
    bad_junk = np.nonzero((junk_f != junk_r).any(1))[0]
    problems = []
    for kind, bad, f, r in (("good", bad_good, good_f, good_r), ("junk", bad_junk, junk_f, junk_r)):
        for i in bad[:max_listed]:
            extra, missing = int((f[i] & ~r[i]).sum()), int((r[i] & ~f[i]).sum())
            problems.append(f"{splits.query[i].path}: gt_query {kind} list differs from the Market rules "
                            f"({extra} only in the file, {missing} only in the rules)")
        if len(bad) > max_listed:
            problems.append(f"gt_query: {len(bad) - max_listed} more queries whose {kind} list differs")
    summary = {"queries": len(q_paths), "checked": True, "good_differs": len(bad_good), "junk_differs": len(bad_junk)}
    return summary, problems
