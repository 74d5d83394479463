"""Kinetics-400 official annotations: CSVs with a header, parsed by column name.

Train/val: ``label,youtube_id,time_start,time_end,split[,is_cc]``; the cvdfoundation test CSV has
no label column. Files are ``{youtube_id}_{start:06d}_{end:06d}.mp4`` in flat split folders
(``k400/train/``), class folders (``<label>/`` or ``<label_with_underscores>/``), and the
``replacement/replacement_for_corrupted_k400/`` folder wins over a file of the same name.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib

from pkg_shared.errors import DataFormatError
from pkg_shared.io.tables import parse_field, read_rows
from pkg_video.data.filelist import Sample

CSV_NAMES = {
    "train": ("train.csv", "kinetics_train.csv"),
    "val": ("val.csv", "validate.csv", "kinetics_val.csv"),
    "test": ("test.csv", "kinetics_test.csv"),
}
REPLACEMENT = pathlib.Path("replacement") / "replacement_for_corrupted_k400"


@dataclasses.dataclass(frozen=True)
class KineticsRow:
    youtube_id: str
    time_start: int
    time_end: int
    split: str
    label: str | None
    line: int

    @property
    def filename(self) -> str:
        return f"{self.youtube_id}_{self.time_start:06d}_{self.time_end:06d}.mp4"


def _seconds(text: str) -> int:
    return int(float(text))


REQUIRED = ("youtube_id", "time_start", "time_end")


def _parse_row(path: pathlib.Path, line: int, d: dict[str, str]) -> KineticsRow:
    yid = d["youtube_id"].strip()
    if len(yid) != 11 or not all(c.isalnum() or c in "-_" for c in yid):
        raise DataFormatError(path, f"youtube_id {yid!r} is not an 11-character YouTube id", line)
    start = parse_field(path, line, "time_start", d["time_start"], _seconds)
    end = parse_field(path, line, "time_end", d["time_end"], _seconds)
    if end <= start:
        raise DataFormatError(path, f"time_end {end} is not after time_start {start}", line)
    split = d.get("split", "").strip()
    label = d.get("label")
    label = label.strip() if label is not None and label.strip() else None
    if label is None and "label" in d and split != "test":
        # a labeled CSV (train/val) with an empty cell: training would get label -1
        raise DataFormatError(path, "empty label (only rows of the test split may have no label)", line)
    return KineticsRow(yid, start, end, split, label, line)


def read_csv(path: str | os.PathLike[str], problems: list[DataFormatError] | None = None) -> list[KineticsRow]:
    """All rows of an official CSV; a malformed row raises DataFormatError with file and line.

    With ``problems`` (a list) malformed rows are appended to it and skipped instead, so that a
    checker can report every one; a file-level problem (missing file, no header) still raises.
    """
    path = pathlib.Path(path)
    rows = read_rows(path, delimiter=",", comment=None)
    try:
        _, header = next(rows)
    except StopIteration:
        raise DataFormatError(path, "file is empty (expected a header row)") from None
    header = [h.strip().lstrip("\ufeff") for h in header]  # a byte-order mark (CSV saved by a spreadsheet)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DataFormatError(path, f"missing column(s) {missing}; header is {header}", 1)
    out = []
    for line, fields in rows:  # line numbers from the reader (no multi-line fields in these CSVs)
        try:
            if len(fields) != len(header):
                raise DataFormatError(path, f"expected {len(header)} fields ({','.join(header)}), found {len(fields)}",
                                      line)
            out.append(_parse_row(path, line, dict(zip(header, fields))))
        except DataFormatError as exc:
            if problems is None:
                raise
            problems.append(exc)
    return out


def find_csv(ann_dir: str | os.PathLike[str], split: str) -> pathlib.Path:
    ann_dir = pathlib.Path(ann_dir)
    names = CSV_NAMES.get(split, (f"{split}.csv",))
    for name in names:
        if (ann_dir / name).is_file():
            return ann_dir / name
    raise DataFormatError(ann_dir, f"no annotation CSV for split {split!r} (looked for {', '.join(names)})")


def class_names(rows: list[KineticsRow]) -> list[str]:
    """Class index = sorted class names (index 0 'abseiling' ... 399 'zumba' for the full set)."""
    return sorted({r.label for r in rows if r.label is not None})


def index_videos(root: str | os.PathLike[str]) -> dict[str, pathlib.Path]:
    """File name -> path for every .mp4 below ``root``; replacements win over originals."""
    root = pathlib.Path(root)
    if not root.is_dir():
        raise DataFormatError(root, "video folder not found")
    found: dict[str, pathlib.Path] = {}
    replaced: dict[str, pathlib.Path] = {}
    for dirpath, _, files in os.walk(root, followlinks=True):
        is_repl = REPLACEMENT.as_posix() in pathlib.Path(dirpath).as_posix()
        for f in files:
            if f.endswith(".mp4"):
                (replaced if is_repl else found).setdefault(f, pathlib.Path(dirpath) / f)
    found.update(replaced)
    return found


@dataclasses.dataclass
class SplitReport:
    csv: str
    rows: int = 0
    found: int = 0
    missing: list[str] = dataclasses.field(default_factory=list)
    unknown_label: int = 0

    def as_dict(self) -> dict:
        return {"csv": self.csv, "rows": self.rows, "found": self.found, "missing": len(self.missing),
                "unknown_label": self.unknown_label}


def build_split(ann_dir, video_root, split: str, classes: list[str] | None = None,
                index: dict[str, pathlib.Path] | None = None,
                problems: list[DataFormatError] | None = None) -> tuple[list[Sample], list[str], SplitReport]:
    """Samples (absolute path, label index; -1 for an unlabeled test CSV) of the rows whose file exists.

    ``problems``: collect malformed rows there (and skip them) instead of raising at the first.
    """
    csv_path = find_csv(ann_dir, split)
    rows = read_csv(csv_path, problems)
    if classes is None:
        classes = (class_names(read_csv(find_csv(ann_dir, "train"), None if problems is None else []))
                   if split != "train" else class_names(rows))
    cidx = {c: i for i, c in enumerate(classes)}
    index = index if index is not None else index_videos(video_root)
    report = SplitReport(str(csv_path), rows=len(rows))
    samples = []
    for r in rows:
        p = index.get(r.filename)
        if p is None:
            report.missing.append(r.filename)
            continue
        if r.label is not None and r.label not in cidx:
            report.unknown_label += 1
            continue
        samples.append(Sample(str(p), cidx[r.label] if r.label is not None else -1))
    report.found = len(samples)
    return samples, classes, report
