"""QVHighlights / moment_detr jsonl: ``highlight_{train,val,test}_release.jsonl`` reader and writer.

One JSON object per line: ``{"qid": int, "query": str, "duration": number, "vid": str,
"relevant_windows": [[start_s, end_s], ...], "relevant_clip_ids": [int, ...],
"saliency_scores": [[a1, a2, a3], ...]}`` -- clips are 2 s long; the test split carries no
labels (no windows, clip ids or saliency). Many Charades-STA users convert their annotations to
this layout; :func:`to_jsonl_record` writes that conversion.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
from collections.abc import Iterable

from pkg_grounding.data.records import Query, SplitReport
from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_open
from pkg_shared.io.tables import read_jsonl

CLIP_SECONDS = 2.0
SPLIT_FILES = {"train": "highlight_train_release.jsonl", "val": "highlight_val_release.jsonl",
               "test": "highlight_test_release.jsonl"}


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def parse_record(path: pathlib.Path, lineno: int, rec: dict, report: SplitReport | None = None) -> Query:
    """Validate one line; windows reaching past ``duration`` are clipped (and counted)."""
    def bad(problem: str) -> DataFormatError:
        return DataFormatError(path, f"qid {rec.get('qid')!r}: {problem}", lineno)

    for key in ("qid", "query", "duration", "vid"):
        if key not in rec:
            raise bad(f"missing key {key!r}")
    if not isinstance(rec["query"], str) or not rec["query"].strip():
        raise bad("query must be a non-empty string")
    if not isinstance(rec["vid"], str) or not rec["vid"]:
        raise bad("vid must be a non-empty string")
    dur = rec["duration"]
    if not _number(dur) or dur <= 0:
        raise bad(f"duration must be a positive number, got {dur!r}")
    windows = rec.get("relevant_windows", [])
    if not isinstance(windows, list):
        raise bad("relevant_windows must be a list of [start, end] pairs")
    gt = []
    for w in windows:
        if not isinstance(w, list) or len(w) != 2 or not all(_number(x) for x in w) or not 0 <= w[0] < w[1]:
            raise bad(f"bad window {w!r} (need [start, end] seconds with 0 <= start < end)")
        s, e = float(w[0]), float(w[1])
        if e > dur:
            e = float(dur)
            if report is not None:
                report.clipped += 1
        if s >= e:
            raise bad(f"window {w!r} starts at or after the end of the video ({dur} s)")
        gt.append((s, e))
    clip_ids = rec.get("relevant_clip_ids", [])
    scores = rec.get("saliency_scores", [])
    if not isinstance(clip_ids, list) or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0
                                                 for c in clip_ids):
        raise bad("relevant_clip_ids must be a list of non-negative integers")
    if not isinstance(scores, list) or not all(isinstance(r, list) and r and all(_number(x) for x in r)
                                               for r in scores):
        raise bad("saliency_scores must be a list of per-clip score lists")
    if scores and len(scores) != len(clip_ids):
        raise bad(f"{len(scores)} saliency rows for {len(clip_ids)} relevant_clip_ids")
    n_clips = int(dur / CLIP_SECONDS)
    if report is not None and any(c >= n_clips for c in clip_ids):
        report.problems.append(f"line {lineno}: a relevant clip id lies beyond duration/2 = {n_clips} clips")
    return Query(qid=str(rec["qid"]), vid=rec["vid"], sentence=rec["query"].strip(), duration=float(dur),
                 gt=tuple(gt), clip_ids=tuple(clip_ids), saliency=tuple(tuple(int(x) for x in r) for r in scores))


def read_qvhighlights(path: str | os.PathLike[str], report: SplitReport | None = None) -> list[Query]:
    """Queries of one split in file order (test: no ground truth, ``gt == ()``)."""
    path = pathlib.Path(path)
    out = [parse_record(path, lineno, rec, report)
           for lineno, rec in read_jsonl(path, what="QVHighlights annotation file")]
    seen: set[str] = set()
    for q in out:
        if q.qid in seen:
            raise DataFormatError(path, f"qid {q.qid} appears more than once")
        seen.add(q.qid)
    if report is not None:
        report.queries = len(out)
        report.videos = len({q.vid for q in out})
    return out


def clip_ids_of(windows: Iterable[tuple[float, float]], duration: float) -> list[int]:
    """2-s clips overlapping any window (moment_detr: ``[26, 36]`` -> clips 13..17)."""
    n = max(1, int(duration / CLIP_SECONDS))
    ids: set[int] = set()
    for s, e in windows:
        ids.update(range(int(s // CLIP_SECONDS), min(n, int(math.ceil(e / CLIP_SECONDS)))))
    return sorted(ids)


def to_jsonl_record(q: Query) -> dict:
    """A Query in the moment_detr layout (no saliency unless the query has it)."""
    qid: int | str = int(q.qid) if q.qid.isdigit() else q.qid
    windows = list(dict.fromkeys((round(s, 4), round(e, 4)) for s, e in q.gt))  # DiDeMo annotators repeat
    rec = {"qid": qid, "query": q.sentence, "duration": q.duration, "vid": q.vid,
           "relevant_windows": [list(w) for w in windows]}
    if q.gt:
        rec["relevant_clip_ids"] = list(q.clip_ids) or clip_ids_of(q.gt, q.duration)
    if q.saliency:
        rec["saliency_scores"] = [list(r) for r in q.saliency]
    return rec


def write_qvhighlights(path: str | os.PathLike[str], queries: Iterable[Query]) -> int:
    """Write queries as moment_detr jsonl (atomic); returns the number of lines."""
    n = 0
    with atomic_open(path, "w", encoding="utf-8") as fh:
        for q in queries:
            fh.write(json.dumps(to_jsonl_record(q)) + "\n")
            n += 1
    return n
