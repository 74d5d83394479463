"""Safe readers for CSV/TSV/JSON/whitespace annotation files: malformed rows name file and line."""

from __future__ import annotations

import csv
import json
import os
import pathlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from pkg_shared.errors import DataFormatError

T = TypeVar("T")


def _open_text(path: pathlib.Path, what: str = "annotation file"):
    if not path.exists():
        raise DataFormatError(path, f"{what} not found")
    if path.is_dir():
        raise DataFormatError(path, "expected a file, found a directory")
    try:
        return open(path, encoding="utf-8-sig", newline="")  # -sig: a spreadsheet's byte-order mark is not data
    except OSError as exc:
        raise DataFormatError(path, f"cannot open ({exc.strerror})") from exc


def read_rows(
    path: str | os.PathLike[str],
    *,
    delimiter: str | None = ",",
    comment: str | None = "#",
    min_fields: int | None = None,
    max_fields: int | None = None,
    skip_blank: bool = True,
    skipinitialspace: bool = True,
) -> Iterator[tuple[int, list[str]]]:
    """Yield (1-based line number, fields). ``delimiter=None`` splits on runs of whitespace.

    CSV quoting is honoured for a one-character delimiter (AudioSet's quoted label lists).
    """
    path = pathlib.Path(path)
    with _open_text(path) as fh:
        try:
            if delimiter is None:
                for lineno, line in enumerate(fh, 1):
                    s = line.strip()
                    if (skip_blank and not s) or (comment and s.startswith(comment)):
                        continue
                    fields = s.split()
                    _check_count(path, lineno, fields, min_fields, max_fields)
                    yield lineno, fields
            else:
                lines = enumerate(fh, 1)
                for lineno, line in lines:
                    s = line.strip()
                    if (skip_blank and not s) or (comment and s.startswith(comment)):
                        continue
                    try:
                        fields = next(csv.reader([line], delimiter=delimiter, skipinitialspace=skipinitialspace))
                    except csv.Error as exc:
                        raise DataFormatError(path, f"malformed row ({exc})", lineno) from exc
                    _check_count(path, lineno, fields, min_fields, max_fields)
                    yield lineno, fields
        except UnicodeDecodeError as exc:
            raise DataFormatError(path, f"not UTF-8 text ({exc.reason})") from exc


def _check_count(path: pathlib.Path, lineno: int, fields: Sequence[str], lo: int | None, hi: int | None) -> None:
    if lo is not None and len(fields) < lo:
        raise DataFormatError(path, f"expected at least {lo} fields, found {len(fields)}: {','.join(fields)[:120]!r}", lineno)
    if hi is not None and len(fields) > hi:
        raise DataFormatError(path, f"expected at most {hi} fields, found {len(fields)}: {','.join(fields)[:120]!r}", lineno)


def parse_field(path: str | os.PathLike[str], lineno: int, name: str, text: str, conv: Callable[[str], T]) -> T:
    """Convert one field; a failure names file, line, field and value."""
    try:
        return conv(text.strip())
    except (ValueError, TypeError) as exc:
        raise DataFormatError(path, f"field '{name}' has invalid value {text!r} ({exc})", lineno) from exc


def read_dicts(path: str | os.PathLike[str], *, delimiter: str = ",", required: Sequence[str] = ()) -> list[dict[str, str]]:
    """CSV/TSV with a header row; checks required columns and the field count of every row."""
    path = pathlib.Path(path)
    rows = read_rows(path, delimiter=delimiter, comment=None)
    try:
        _, header = next(rows)
    except StopIteration:
        raise DataFormatError(path, "file is empty (expected a header row)") from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise DataFormatError(path, f"missing column(s) {missing}; header is {header}", 1)
    out = []
    for lineno, fields in rows:
        if len(fields) != len(header):
            raise DataFormatError(path, f"expected {len(header)} fields, found {len(fields)}", lineno)
        out.append(dict(zip(header, fields)))
    return out


def read_json(path: str | os.PathLike[str], what: str = "annotation file") -> Any:
    """JSON with the line and column of a syntax error in the message (``what``: the file's role)."""
    path = pathlib.Path(path)
    with _open_text(path, what) as fh:
        try:
            return json.load(fh)
        except json.JSONDecodeError as exc:
            raise DataFormatError(path, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from exc
        except UnicodeDecodeError as exc:
            raise DataFormatError(path, f"not UTF-8 text ({exc.reason})") from exc


def read_jsonl(path: str | os.PathLike[str], what: str = "JSONL file") -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (1-based line number, object) of a JSON-lines file; blank lines are skipped.

    A missing file, invalid JSON or a line that is not an object raises DataFormatError naming
    the file and the line (``what`` names the file's role in the not-found message).
    """
    path = pathlib.Path(path)
    with _open_text(path, what) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFormatError(path, f"invalid JSON ({exc.msg})", lineno) from None
            if not isinstance(rec, dict):
                raise DataFormatError(path, "each line must be a JSON object", lineno)
            yield lineno, rec
