"""NTU RGB+D 60/120 raw ``.skeleton`` text files: parser, body selection, benchmark splits.

File layout (one value group per line): F; per frame B; per body a 10-value info line (the
64-bit bodyID first, parsed as int, never float), the joint count (25) and 25 lines of 12 values
whose first three are x, y, z in metres.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import logging
import os
import pathlib
import re

import numpy as np

from pkg_shared.errors import DataFormatError

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$")
NTU60_XSUB_TRAIN = frozenset(
    {1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38}
)
NTU120_XSUB_TRAIN = NTU60_XSUB_TRAIN | frozenset(
    {45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86, 89,
     91, 92, 93, 94, 95, 97, 98, 100, 103}
)
BENCHMARKS = ("ntu60_xsub", "ntu60_xview", "ntu120_xsub", "ntu120_xset")


@dataclasses.dataclass(frozen=True)
class NtuName:
    setup: int
    camera: int
    performer: int
    replication: int
    action: int

    @property
    def label(self) -> int:
        return self.action - 1


def parse_name(name: str) -> NtuName:
    """``S001C002P003R002A013`` (extension optional) -> its five fields."""
    stem = os.path.basename(name).split(".")[0]
    m = NAME_RE.match(stem)
    if not m:
        raise DataFormatError(name, "file name is not of the form SsssCcccPpppRrrrAaaa.skeleton")
    return NtuName(*(int(g) for g in m.groups()))


def in_benchmark(name: NtuName, benchmark: str) -> bool:
    """Whether a sample belongs to the benchmark's data at all (NTU-60 uses S001-S017, A001-A060)."""
    if benchmark.startswith("ntu60"):
        return name.setup <= 17 and name.action <= 60
    return True


def is_train(name: NtuName, benchmark: str) -> bool:
    """Official split rules: X-Sub by performer, X-View cameras 2+3 train, X-Set even setups train."""
    if benchmark == "ntu60_xsub":
        return name.performer in NTU60_XSUB_TRAIN
    if benchmark == "ntu60_xview":
        return name.camera in (2, 3)
    if benchmark == "ntu120_xsub":
        return name.performer in NTU120_XSUB_TRAIN
    if benchmark == "ntu120_xset":
        return name.setup % 2 == 0
    raise ValueError(f"unknown NTU benchmark {benchmark!r}")


MISSING_LISTS = {"ntu60": "ntu60_missing_skeletons.txt", "ntu120": "ntu120_missing_skeletons.txt"}


def missing_samples(path: str | os.PathLike[str] | None = None, benchmark: str = "ntu60_xsub") -> frozenset[str]:
    """Names without usable skeletons: ``path``, or the shipped official list of the benchmark's dataset.

    Shipped: NTU-60 (302 names) and NTU-120 (535 names, a superset), copied from the dataset
    authors' ``NTU_RGBD{,120}_samples_with_missing_skeletons.txt``. Lines that are not sample names
    (the official files start with two lines of prose) are skipped; any other malformed line is an error.
    """
    if path is None:
        key = "ntu120" if benchmark.startswith("ntu120") else "ntu60"
        text = importlib.resources.files("pkg_skeleton.data").joinpath(
            f"lists/{MISSING_LISTS[key]}").read_text(encoding="utf-8")
    else:
        p = pathlib.Path(path)
        if not p.is_file():
            raise DataFormatError(p, "missing-skeleton list not found")
        text = p.read_text(encoding="utf-8")
    names = set()
    for k, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or " " in line:  # blank or prose
            continue
        name = line.split(".")[0]
        if not NAME_RE.match(name):
            raise DataFormatError(path or MISSING_LISTS[key], f"{line!r} is not a sample name SsssCcccPpppRrrrAaaa", k)
        names.add(name)
    return frozenset(names)


@dataclasses.dataclass
class NtuSequence:
    """Parsed file: for every frame the list of (bodyID, joints (25, 3)) in file order."""

    path: str
    frames: list[list[tuple[int, np.ndarray]]]

    @property
    def num_frames(self) -> int:
        return len(self.frames)

    @property
    def max_bodies(self) -> int:
        return max((len(f) for f in self.frames), default=0)


def _int(path: str, lineno: int, text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise DataFormatError(path, f"expected an integer {what}, got {text.strip()[:40]!r}", lineno) from None


def parse_skeleton_file(path: str | os.PathLike[str], text: str | None = None) -> NtuSequence:
    """Parse one ``.skeleton`` file; any deviation raises DataFormatError with the line number.

    Fast path: walk the whitespace tokens of the whole file and convert each body's 25x12 block in
    one numpy call; the token and line counts must both come out exact, otherwise the slower
    line-by-line pass runs and names the faulty line.
    """
    path = os.fspath(path)
    if text is None:
        try:
            with open(path, encoding="utf-8", errors="strict") as fh:
                text = fh.read()
        except UnicodeDecodeError:
            raise DataFormatError(path, "not a text file (invalid UTF-8)") from None
    try:
        return _parse_tokens(path, text)
    except (ValueError, IndexError):
        return _parse_lines(path, text)


def _parse_tokens(path: str, text: str) -> NtuSequence:
    """Only x, y, z (3 of the 12 values of a joint line) are converted: float parsing is the cost.

    The structure (counts of tokens and of lines) is checked exactly; values of the other nine
    columns are not parsed.
    """
    tok = text.split()
    nf = int(tok[0])
    i, lines_expected = 1, 1 + nf
    frames: list[list[tuple[int, np.ndarray]]] = []
    for _ in range(nf):
        nb = int(tok[i])
        i += 1
        bodies = []
        for _ in range(nb):
            body_id = int(tok[i])  # exact 64-bit integer
            nj = int(tok[i + 10])
            i += 11
            sub = tok[i : i + 12 * nj]
            if len(sub) != 12 * nj:
                raise ValueError("truncated")
            xyz = np.array(sub[0::12] + sub[1::12] + sub[2::12], dtype=np.float32).reshape(3, nj).T
            bodies.append((body_id, np.ascontiguousarray(xyz)))
            i += 12 * nj
            lines_expected += 2 + nj
        frames.append(bodies)
    if i != len(tok):
        raise ValueError("trailing tokens")
    if text.count("\n") + (not text.endswith("\n")) - _blank_lines(text) != lines_expected:
        raise ValueError("line structure")
    return NtuSequence(path, frames)


def _blank_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if not line.strip()) if "\n\n" in text or "\n \n" in text else 0


def _parse_lines(path: str, text: str) -> NtuSequence:
    lines = text.splitlines()  # handles CRLF
    if not lines or not lines[0].strip():
        raise DataFormatError(path, "empty file (expected the frame count on line 1)", 1)
    nf = _int(path, 1, lines[0], "frame count")
    i = 1
    frames: list[list[tuple[int, np.ndarray]]] = []
    n_lines = len(lines)
    for f in range(nf):
        if i >= n_lines:
            raise DataFormatError(path, f"file ends in frame {f + 1} of {nf}", n_lines)
        nb = _int(path, i + 1, lines[i], "body count")
        i += 1
        bodies = []
        for _ in range(nb):
            if i + 1 >= n_lines:
                raise DataFormatError(path, f"file ends inside a body of frame {f + 1}", n_lines)
            info = lines[i].split()
            if len(info) != 10:
                raise DataFormatError(path, f"body info line has {len(info)} values, expected 10", i + 1)
            body_id = _int(path, i + 1, info[0], "bodyID")
            nj = _int(path, i + 2, lines[i + 1], "joint count")
            i += 2
            block = lines[i : i + nj]
            if len(block) < nj:
                raise DataFormatError(path, f"file ends inside the joints of frame {f + 1}", n_lines)
            try:
                vals = np.array(" ".join(block).split(), dtype=np.float64)
            except ValueError:
                vals = None
            if vals is None or vals.size != nj * 12:
                for k, line in enumerate(block):  # find the faulty line for the message
                    parts = line.split()
                    try:
                        [float(p) for p in parts]
                    except ValueError:
                        raise DataFormatError(path, "joint line has a non-numeric value", i + k + 1) from None
                    if len(parts) != 12:
                        raise DataFormatError(path, f"joint line has {len(parts)} values, expected 12", i + k + 1)
            joints = vals.reshape(nj, 12)[:, :3].astype(np.float32)
            bodies.append((body_id, joints))
            i += nj
        frames.append(bodies)
    rest = [k for k in range(i, n_lines) if lines[k].strip()]
    if rest:
        raise DataFormatError(path, f"unexpected content after the last of {nf} frames", rest[0] + 1)
    return NtuSequence(path, frames)


def parse_naive(path: str | os.PathLike[str]) -> NtuSequence:
    """Line-by-line reader (benchmark baseline): one float() per value, no block parsing."""
    path = os.fspath(path)
    with open(path, encoding="utf-8") as fh:
        nf = int(fh.readline())
        frames = []
        for _ in range(nf):
            nb = int(fh.readline())
            bodies = []
            for _ in range(nb):
                body_id = int(fh.readline().split()[0])
                nj = int(fh.readline())
                joints = np.zeros((nj, 3), dtype=np.float32)
                for j in range(nj):
                    vals = [float(v) for v in fh.readline().split()]
                    joints[j] = vals[:3]
                bodies.append((body_id, joints))
            frames.append(bodies)
    return NtuSequence(path, frames)


def select_file_order(seq: NtuSequence, num_persons: int = 2, num_joints: int = 25) -> np.ndarray:
    """Reproduction default: the k-th body listed in each frame goes to slot k; extra bodies dropped."""
    out = np.zeros((num_persons, seq.num_frames, num_joints, 3), dtype=np.float32)
    for t, bodies in enumerate(seq.frames):
        for k, (_, joints) in enumerate(bodies[:num_persons]):
            out[k, t, : joints.shape[0]] = joints[:num_joints]
    return out


def _spread_noise(joints: np.ndarray) -> np.ndarray:
    """Per frame: x-spread > 0.8 * y-spread (a lying 'body' is usually furniture noise)."""
    xs = joints[:, :, 0].max(1) - joints[:, :, 0].min(1)
    ys = joints[:, :, 1].max(1) - joints[:, :, 1].min(1)
    return xs > 0.8 * ys


def select_denoise(
    seq: NtuSequence, num_persons: int = 2, num_joints: int = 25,
    min_frames: int = 11, spread_ratio: float = 0.69754,
) -> np.ndarray:
    """pyskl-style body denoising: rank bodies by motion, drop short and 'wide' ones, fill slots."""
    tracks: dict[int, tuple[list[int], list[np.ndarray]]] = {}
    for t, bodies in enumerate(seq.frames):
        for body_id, joints in bodies:
            tracks.setdefault(body_id, ([], []))
            tracks[body_id][0].append(t)
            tracks[body_id][1].append(joints[:num_joints])
    cands = []
    for body_id, (ts, js) in tracks.items():
        arr = np.stack(js)
        cands.append({"id": body_id, "t": np.asarray(ts), "j": arr,
                      "motion": float(np.var(arr.reshape(len(arr), -1), axis=0).sum())})
    if len(cands) > 1:
        long = [c for c in cands if len(c["t"]) > min_frames]
        cands = long or cands
    if len(cands) > 1:
        kept = []
        for c in cands:
            noisy = _spread_noise(c["j"])
            if noisy.mean() >= spread_ratio:
                continue
            valid = c["j"][~noisy]
            if 0 < len(valid) < len(c["j"]):
                c["motion"] = float(np.var(valid.reshape(len(valid), -1), axis=0).sum())
            kept.append(c)
        cands = kept or cands
    cands.sort(key=lambda c: -c["motion"])
    out = np.zeros((num_persons, seq.num_frames, num_joints, 3), dtype=np.float32)
    ranges: list[tuple[int, int] | None] = [None] * num_persons
    for c in cands:
        lo, hi = int(c["t"].min()), int(c["t"].max())
        for s in range(num_persons):
            r = ranges[s]
            if r is None or hi < r[0] or lo > r[1]:
                out[s, c["t"], : c["j"].shape[1]] = c["j"]
                ranges[s] = (lo, hi) if r is None else (min(lo, r[0]), max(hi, r[1]))
                break
    nonzero = np.flatnonzero(np.abs(out).reshape(num_persons, seq.num_frames, -1).sum((0, 2)) > 0)
    if nonzero.size:
        out = out[:, nonzero[0] : nonzero[-1] + 1]
        if num_persons > 1 and not np.any(out[0, 0]) and np.any(out[1, 0]):
            out = out[[1, 0] + list(range(2, num_persons))]
    return out


def list_files(root: str | os.PathLike[str]) -> list[pathlib.Path]:
    root = pathlib.Path(root)
    if not root.is_dir():
        raise DataFormatError(root, "NTU skeleton folder not found")
    files = sorted(root.glob("*.skeleton"))
    if not files:
        raise DataFormatError(root, "no *.skeleton files in this folder (expected nturgb+d_skeletons/)")
    return files
