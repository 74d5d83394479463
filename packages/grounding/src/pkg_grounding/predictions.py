"""Prediction files: jsonl, one query per line, moment_detr-compatible.

``{"qid", "vid", "query", "duration", "pred_windows": [[start_s, end_s, score], ...]}`` plus, for
DiDeMo, ``"pred_moments": [[a, b], ...]`` (all 21, ranked). moment_detr's key
``pred_relevant_windows`` is accepted as a synonym of ``pred_windows``.
"""

from __future__ import annotations

import json
import os
import pathlib

from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_open
from pkg_shared.io.tables import read_jsonl


def write_predictions(path: str | os.PathLike[str], preds: list[dict]) -> None:
    with atomic_open(path, "w", encoding="utf-8") as fh:
        for p in preds:
            fh.write(json.dumps(p) + "\n")


def read_predictions(path: str | os.PathLike[str]) -> dict[str, dict]:
    """qid -> record; malformed lines raise DataFormatError naming file and line."""
    path = pathlib.Path(path)
    out: dict[str, dict] = {}
    for lineno, rec in read_jsonl(path, what="prediction file"):
        if "qid" not in rec:
            raise DataFormatError(path, "each line must be a JSON object with a 'qid'", lineno)
        if "pred_windows" not in rec and "pred_relevant_windows" in rec:
            rec["pred_windows"] = rec["pred_relevant_windows"]
        if "pred_windows" not in rec and "pred_moments" not in rec:
            raise DataFormatError(path, "no 'pred_windows' / 'pred_relevant_windows' / 'pred_moments'", lineno)
        for w in rec.get("pred_windows", []):
            if not isinstance(w, list) or len(w) < 3:
                raise DataFormatError(path, f"a window must be [start, end, score], got {w!r}", lineno)
        out[str(rec["qid"])] = rec
    return out
