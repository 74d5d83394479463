"""Charades-STA: ``charades_sta_{train,test}.txt`` lines ``VID START END##sentence`` + Charades CSV lengths.

As the 2D-TAN loader: end is clipped to the video length and queries with start >= end after
clipping are dropped; both are counted in the SplitReport.
"""

from __future__ import annotations

import csv
import os
import pathlib

from pkg_grounding.data.records import Query, SplitReport
from pkg_shared.errors import DataFormatError

SPLIT_FILES = {"train": "charades_sta_train.txt", "test": "charades_sta_test.txt"}
CSV_FILES = {"train": "Charades_v1_train.csv", "test": "Charades_v1_test.csv"}
CSV_COLUMNS = ("id", "subject", "scene", "quality", "relevance", "verified", "script", "objects",
               "descriptions", "actions", "length")


def read_durations(path: str | os.PathLike[str]) -> dict[str, float]:
    """``id -> length`` (seconds) from a Charades_v1_*.csv; fields may be quoted and contain commas."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "Charades CSV not found")
    out: dict[str, float] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise DataFormatError(path, "file is empty (expected the Charades header row)") from None
        except csv.Error as exc:
            raise DataFormatError(path, f"malformed CSV ({exc})", 1) from exc
        if "id" not in header or "length" not in header:
            raise DataFormatError(path, f"header must contain 'id' and 'length', found {header}", 1)
        i_id, i_len = header.index("id"), header.index("length")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise DataFormatError(path, f"malformed CSV ({exc})", reader.line_num) from exc
            if not row:
                continue
            if len(row) != len(header):
                raise DataFormatError(path, f"expected {len(header)} fields, found {len(row)}", reader.line_num)
            try:
                length = float(row[i_len])
            except ValueError:
                raise DataFormatError(path, f"length {row[i_len]!r} is not a number", reader.line_num) from None
            if length <= 0:
                raise DataFormatError(path, f"length must be positive, got {length}", reader.line_num)
            out[row[i_id]] = length
    return out


def parse_line(path: pathlib.Path, lineno: int, line: str) -> tuple[str, float, float, str]:
    left, sep, sentence = line.partition("##")
    if not sep:
        raise DataFormatError(path, "expected 'VIDEOID START END##sentence' (no '##' found)", lineno)
    parts = left.split()
    if len(parts) != 3:
        raise DataFormatError(path, f"expected 'VIDEOID START END' before '##', found {left.strip()!r}", lineno)
    try:
        start, end = float(parts[1]), float(parts[2])
    except ValueError:
        raise DataFormatError(path, f"start/end {parts[1]!r} {parts[2]!r} are not numbers", lineno) from None
    if start < 0:
        raise DataFormatError(path, f"negative start time {start}", lineno)
    if not sentence.strip():
        raise DataFormatError(path, "empty sentence after '##'", lineno)
    return parts[0], start, end, sentence.strip()


def read_charades_sta(
    path: str | os.PathLike[str],
    durations: dict[str, float],
    on_missing: str = "error",
    report: SplitReport | None = None,
) -> list[Query]:
    """Queries of one split; videos absent from the CSVs raise (``on_missing=error``) or are skipped."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "Charades-STA annotation file not found")
    report = report if report is not None else SplitReport(str(path))
    out: list[Query] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.strip()
            if not line:
                continue
            vid, start, end, sentence = parse_line(path, lineno, line)
            if vid not in durations:
                if on_missing == "error":
                    raise DataFormatError(path, f"video {vid} has no length in the Charades CSV files", lineno)
                report.missing_duration += 1
                continue
            dur = durations[vid]
            if end > dur:
                end = dur
                report.clipped += 1
            if start >= end:
                report.dropped += 1
                report.problems.append(f"line {lineno}: start >= end after clipping ({start} >= {end}); dropped")
                continue
            out.append(Query(qid=str(lineno), vid=vid, sentence=sentence, duration=dur, gt=((start, end),)))
    report.queries = len(out)
    report.videos = len({q.vid for q in out})
    return out
