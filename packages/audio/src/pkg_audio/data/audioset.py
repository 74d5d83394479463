"""Readers (and tiny-fixture writers) for Google's AudioSet metadata files, exactly as released.

- segment CSVs: 3 ``#`` header lines, then ``YTID, start, end, "mid1,mid2"`` (comma + space).
- ``class_labels_indices.csv``: ``index,mid,display_name``; the row index is the model output index.
- ``ontology.json``: list of nodes (id, name, description, citation_uri, positive_examples,
  child_ids, restrictions).
- ``qa_true_counts.csv`` (optional quality estimates).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
from collections.abc import Sequence

import numpy as np

from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_open, atomic_write_json
from pkg_shared.io.tables import parse_field, read_json, read_rows

YTID_RE = re.compile(r"^[A-Za-z0-9_-]{11}$")
MID_RE = re.compile(r"^/[mgt]/[0-9a-z_]+$")
SEGMENT_HEADER = "# YTID, start_seconds, end_seconds, positive_labels"
SPLIT_FILES = {
    "balanced_train": "balanced_train_segments.csv",
    "unbalanced_train": "unbalanced_train_segments.csv",
    "eval": "eval_segments.csv",
}


@dataclasses.dataclass(frozen=True)
class Segment:
    ytid: str
    start: float
    end: float
    mids: tuple[str, ...]
    line: int = 0

    @property
    def clip_id(self) -> str:
        return f"{self.ytid}_{self.start:.3f}"


@dataclasses.dataclass(frozen=True)
class ClassIndex:
    """Class list from ``class_labels_indices.csv``: position = model output index."""

    mids: tuple[str, ...]
    names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.mids)

    @property
    def index(self) -> dict[str, int]:
        return {m: i for i, m in enumerate(self.mids)}

    def multi_hot(self, mids: Sequence[str]) -> np.ndarray:
        idx = self.index
        y = np.zeros(len(self.mids), dtype=np.float32)
        for m in mids:
            y[idx[m]] = 1.0
        return y


def read_segments(path: str | os.PathLike[str], problems: list[str] | None = None) -> list[Segment]:
    """Parse one segment CSV; a YTID may start with '-' (it is data, not a comment or option).

    The first malformed row raises; with a ``problems`` list every malformed row is recorded there
    (``file:line: problem``) and skipped instead, for ``audio-data check``.
    """
    path = pathlib.Path(path)
    out: list[Segment] = []
    seen_header = False
    for lineno, fields in read_rows(path, delimiter=",", comment=None, skipinitialspace=True):
        if fields and fields[0].startswith("#") and lineno <= 3:
            seen_header = True
            continue
        try:
            out.append(_segment(path, lineno, fields))
        except DataFormatError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
    if not seen_header:
        raise DataFormatError(path, "missing the '#' header lines of an AudioSet segment CSV", 1)
    return out


def _segment(path: pathlib.Path, lineno: int, fields: list[str]) -> Segment:
    if fields and fields[0].startswith("#"):
        raise DataFormatError(path, "comment line after the 3-line header", lineno)
    if len(fields) != 4:
        raise DataFormatError(path, f"expected 4 fields (YTID, start, end, \"labels\"), found {len(fields)}", lineno)
    ytid = fields[0].strip()
    if not YTID_RE.match(ytid):
        raise DataFormatError(path, f"invalid YTID {ytid!r} (need 11 characters of A-Z a-z 0-9 _ -)", lineno)
    start = parse_field(path, lineno, "start_seconds", fields[1], float)
    end = parse_field(path, lineno, "end_seconds", fields[2], float)
    if end <= start:
        raise DataFormatError(path, f"end_seconds {end} is not after start_seconds {start}", lineno)
    mids = tuple(m.strip() for m in fields[3].split(",") if m.strip())
    if not mids:
        raise DataFormatError(path, "empty positive_labels", lineno)
    for m in mids:
        if not MID_RE.match(m):
            raise DataFormatError(path, f"invalid label MID {m!r}", lineno)
    return Segment(ytid, start, end, mids, lineno)


def read_class_index(path: str | os.PathLike[str]) -> ClassIndex:
    path = pathlib.Path(path)
    rows = read_rows(path, delimiter=",", comment=None, skipinitialspace=False)
    try:
        _, header = next(rows)
    except StopIteration:
        raise DataFormatError(path, "file is empty (expected header index,mid,display_name)") from None
    if [h.strip() for h in header] != ["index", "mid", "display_name"]:
        raise DataFormatError(path, f"header must be index,mid,display_name, found {','.join(header)!r}", 1)
    mids, names = [], []
    for lineno, fields in rows:
        if len(fields) != 3:
            raise DataFormatError(path, f"expected 3 fields, found {len(fields)} (quote names containing commas)", lineno)
        idx = parse_field(path, lineno, "index", fields[0], int)
        if idx != len(mids):
            raise DataFormatError(path, f"index {idx} out of order (expected {len(mids)})", lineno)
        mid = fields[1].strip()
        if not MID_RE.match(mid):
            raise DataFormatError(path, f"invalid MID {mid!r}", lineno)
        if mid in mids:
            raise DataFormatError(path, f"duplicate MID {mid}", lineno)
        mids.append(mid)
        names.append(fields[2])
    if not mids:
        raise DataFormatError(path, "no classes listed")
    return ClassIndex(tuple(mids), tuple(names))


ONTOLOGY_KEYS = ("id", "name", "description", "citation_uri", "positive_examples", "child_ids", "restrictions")


def read_ontology(path: str | os.PathLike[str]) -> dict[str, dict]:
    """MID -> node dict. Used for hierarchy display and optional label propagation only."""
    path = pathlib.Path(path)
    data = read_json(path)
    if not isinstance(data, list):
        raise DataFormatError(path, "ontology must be a JSON list of nodes")
    nodes: dict[str, dict] = {}
    for i, node in enumerate(data):
        if not isinstance(node, dict):
            raise DataFormatError(path, f"node #{i} is not an object")
        missing = [k for k in ONTOLOGY_KEYS if k not in node]
        if missing:
            raise DataFormatError(path, f"node #{i} ({node.get('id', '?')}) lacks key(s) {missing}")
        nodes[node["id"]] = node
    for mid, node in nodes.items():
        for child in node["child_ids"]:
            if child not in nodes:
                raise DataFormatError(path, f"node {mid} lists unknown child {child}")
    return nodes


def ancestors(ontology: dict[str, dict]) -> dict[str, set[str]]:
    """MID -> set of all ancestor MIDs (for label propagation up the hierarchy)."""
    parents: dict[str, set[str]] = {m: set() for m in ontology}
    for mid, node in ontology.items():
        for c in node["child_ids"]:
            parents[c].add(mid)
    out: dict[str, set[str]] = {}

    def walk(m: str) -> set[str]:
        if m not in out:
            out[m] = set()
            acc: set[str] = set()
            for p in parents[m]:
                acc |= {p} | walk(p)
            out[m] = acc
        return out[m]

    for m in ontology:
        walk(m)
    return out


def propagate_up(targets: np.ndarray, classes: ClassIndex, ontology: dict[str, dict]) -> np.ndarray:
    """Set every labelled ancestor of a positive class (classes absent from the list are skipped)."""
    idx = classes.index
    anc = ancestors(ontology)
    up = np.zeros((len(classes), len(classes)), dtype=np.float32)
    for c, mid in enumerate(classes.mids):
        for a in anc.get(mid, ()):
            if a in idx:
                up[c, idx[a]] = 1.0
    return np.maximum(targets, ((targets > 0).astype(np.float32) @ up > 0).astype(targets.dtype))


def read_qa_counts(path: str | os.PathLike[str]) -> dict[str, tuple[int, int]]:
    """``qa_true_counts.csv`` (label_id, num_rated, num_true) -> MID: (rated, true); {} if absent."""
    path = pathlib.Path(path)
    if not path.is_file():
        return {}
    out: dict[str, tuple[int, int]] = {}
    for lineno, fields in read_rows(path, delimiter=",", comment=None):
        if lineno == 1 and not fields[-1].strip().isdigit():
            continue
        if len(fields) < 3:
            raise DataFormatError(path, f"expected 3 fields, found {len(fields)}", lineno)
        out[fields[0].strip()] = (
            parse_field(path, lineno, "num_rated", fields[1], int),
            parse_field(path, lineno, "num_true", fields[2], int),
        )
    return out


def targets_for(segments: Sequence[Segment], classes: ClassIndex, path: str | os.PathLike[str] = "", unknown: str = "error") -> tuple[np.ndarray, int]:
    """(N, K) multi-hot matrix; MIDs absent from the class list raise (or are skipped and counted)."""
    idx = classes.index
    y = np.zeros((len(segments), len(classes)), dtype=np.float32)
    skipped = 0
    for n, s in enumerate(segments):
        for m in s.mids:
            j = idx.get(m)
            if j is None:
                if unknown == "error":
                    raise DataFormatError(path, f"label {m} is not in the class list", s.line or None)
                skipped += 1
                continue
            y[n, j] = 1.0
    return y, skipped


# --------------------------------------------------------------------------- writers (fixtures)


def write_segments(path: str | os.PathLike[str], segments: Sequence[Segment], num_labels: int) -> None:
    """Write a segment CSV in Google's exact layout (3 header lines, comma+space, quoted labels)."""
    n_pos = sum(len(s.mids) for s in segments)
    stamp = "Sun Mar  5 10:54:31 2017"  # the form of Google's header line 1
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(f"# Segments csv created {stamp}\n")
        fh.write(
            f"# num_ytids={len({s.ytid for s in segments})}, num_segs={len(segments)}, "
            f"num_unique_labels={num_labels}, num_positive_labels={n_pos}\n"
        )
        fh.write(SEGMENT_HEADER + "\n")
        for s in segments:
            fh.write(f"{s.ytid}, {s.start:.3f}, {s.end:.3f}, \"{','.join(s.mids)}\"\n")


def write_class_index(path: str | os.PathLike[str], classes: ClassIndex) -> None:
    """Google's layout: header, then ``i,mid,"Display name"`` with every name double-quoted."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("index,mid,display_name\n")
        for i, (m, n) in enumerate(zip(classes.mids, classes.names)):
            name = n.replace('"', '""')
            fh.write(f'{i},{m},"{name}"\n')


def write_ontology(path: str | os.PathLike[str], nodes: Sequence[dict]) -> None:
    atomic_write_json(path, list(nodes))
