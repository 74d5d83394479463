"""DiDeMo (LocalizingMoments ``data/{train,val,test}_data.json``): reader, 21 moments, chunk <-> seconds.

A record: ``{"annotation_id": int, "description": str, "video": str, "times": [[a, b], ...],
"num_segments": 5|6, "dl_link": str}``; chunk c covers [5c, 5c+5) s and (a, b) is inclusive.
"""

from __future__ import annotations

import itertools
import os
import pathlib

from pkg_grounding.data.records import Query, SplitReport
from pkg_shared.errors import DataFormatError
from pkg_shared.io.tables import read_json

CHUNK_SECONDS = 5.0
NUM_CHUNKS = 6
# MCN candidate order: singles first, then itertools.combinations(range(6), 2).
MOMENTS: tuple[tuple[int, int], ...] = tuple((i, i) for i in range(NUM_CHUNKS)) + tuple(
    itertools.combinations(range(NUM_CHUNKS), 2)
)
MOMENT_INDEX = {m: i for i, m in enumerate(MOMENTS)}
SPLIT_FILES = {"train": "train_data.json", "val": "val_data.json", "test": "test_data.json"}
REQUIRED = ("annotation_id", "description", "video", "times", "num_segments")


def chunk_to_seconds(a: int, b: int) -> tuple[float, float]:
    return a * CHUNK_SECONDS, (b + 1) * CHUNK_SECONDS


def chunk_to_steps(a: int, b: int, k: int) -> tuple[int, int]:
    """Chunks a..b -> inclusive step indices [a*k, (b+1)*k - 1] with k steps per chunk."""
    return a * k, (b + 1) * k - 1


def _line_of(text: str, index: int) -> int | None:
    """Best-effort line number of the index-th record of a JSON list (for error messages)."""
    if text.count("\n") < 2:
        return None
    pos = -1
    for _ in range(index + 1):
        pos = text.find('"annotation_id"', pos + 1)
        if pos < 0:
            return None
    return text.count("\n", 0, pos) + 1


def read_didemo(path: str | os.PathLike[str], report: SplitReport | None = None) -> list[Query]:
    """Validate and convert every record; a bad one raises DataFormatError naming file and record."""
    path = pathlib.Path(path)
    data = read_json(path)
    if not isinstance(data, list):
        raise DataFormatError(path, "expected a JSON list of annotation records")
    text = None
    out: list[Query] = []
    for i, rec in enumerate(data):
        def bad(problem: str, i=i, rec=rec) -> DataFormatError:
            nonlocal text
            text = text if text is not None else path.read_text(encoding="utf-8")
            aid = rec.get("annotation_id") if isinstance(rec, dict) else None
            return DataFormatError(path, f"record {i} (annotation_id {aid}): {problem}", _line_of(text, i))

        if not isinstance(rec, dict):
            raise bad("not a JSON object")
        missing = [k for k in REQUIRED if k not in rec]
        if missing:
            raise bad(f"missing key(s) {missing}")
        nseg = rec["num_segments"]
        if nseg not in (1, 2, 3, 4, 5, 6) or isinstance(nseg, bool):
            raise bad(f"num_segments must be an integer 1..6, got {nseg!r}")
        times = rec["times"]
        if not isinstance(times, list) or not times:
            raise bad("times must be a non-empty list of [start_chunk, end_chunk] pairs")
        pairs = []
        for t in times:
            if (not isinstance(t, list) or len(t) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in t)
                    or not 0 <= t[0] <= t[1] < NUM_CHUNKS):
                raise bad(f"bad chunk pair {t!r} (need [a, b] with 0 <= a <= b <= 5)")
            pairs.append((t[0], t[1]))
        if not isinstance(rec["description"], str) or not isinstance(rec["video"], str):
            raise bad("description and video must be strings")
        out.append(Query(
            qid=str(rec["annotation_id"]), vid=rec["video"], sentence=rec["description"],
            duration=CHUNK_SECONDS * nseg, gt=tuple(chunk_to_seconds(a, b) for a, b in pairs),
            times=tuple(pairs), num_segments=int(nseg),
        ))
        if report is not None and any(b >= nseg for _, b in pairs):
            report.problems.append(f"annotation_id {rec['annotation_id']}: a time pair lies beyond num_segments={nseg}")
    if report is not None:
        report.queries = len(out)
        report.videos = len({q.vid for q in out})
    return out


def consensus_pair(times: tuple[tuple[int, int], ...]) -> tuple[int, int]:
    """The pair with the most votes; ties -> the shortest, then the earliest (spec option ``consensus``)."""
    counts: dict[tuple[int, int], int] = {}
    for p in times:
        counts[p] = counts.get(p, 0) + 1
    return min(counts, key=lambda p: (-counts[p], p[1] - p[0], p))
