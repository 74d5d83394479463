"""``audio-data check``: per-split statistics and every format problem found (does not stop at the first)."""

from __future__ import annotations

import pathlib

import numpy as np

from pkg_audio.data.audioset import (
    SPLIT_FILES,
    read_class_index,
    read_ontology,
    read_qa_counts,
    read_segments,
)
from pkg_audio.data.manifest import match_segments
from pkg_shared.errors import DataFormatError

MAX_ROW_PROBLEMS = 100  # per file; the rest are counted


def check_root(root: str | pathlib.Path, template: str = "{split}/{ytid}_{start:.3f}.wav",
               audio_dir: str | pathlib.Path | None = None, sample_rate: int | None = None,
               headers: bool = True) -> dict:
    root = pathlib.Path(root)
    problems: list[str] = []
    report: dict = {"root": str(root), "splits": {}, "problems": problems}
    classes = None
    try:
        classes = read_class_index(root / "class_labels_indices.csv")
        report["classes"] = len(classes)
    except DataFormatError as exc:
        problems.append(str(exc))
    onto = root / "ontology.json"
    if onto.is_file():
        try:
            nodes = read_ontology(onto)
            report["ontology_nodes"] = len(nodes)
            report["ontology_abstract"] = sum("abstract" in n["restrictions"] for n in nodes.values())
            report["ontology_blacklist"] = sum("blacklist" in n["restrictions"] for n in nodes.values())
            if classes is not None:
                absent = [m for m in classes.mids if m not in nodes]
                if absent:
                    problems.append(f"{onto}: {len(absent)} class MID(s) not in the ontology, e.g. {absent[0]}")
        except DataFormatError as exc:
            problems.append(str(exc))
    try:
        qa = read_qa_counts(root / "qa_true_counts.csv")
        if qa:
            report["qa_true_counts"] = len(qa)
    except DataFormatError as exc:
        problems.append(str(exc))
    for split, fname in SPLIT_FILES.items():
        path = root / fname
        if not path.is_file():
            report["splits"][split] = "absent"
            continue
        rows: list[str] = []
        try:
            segs = read_segments(path, rows)  # every malformed row, not only the first
        except DataFormatError as exc:
            problems.append(str(exc))
            continue
        problems.extend(rows[:MAX_ROW_PROBLEMS])
        if len(rows) > MAX_ROW_PROBLEMS:
            problems.append(f"{path}: ... and {len(rows) - MAX_ROW_PROBLEMS} more malformed row(s)")
        st = {"segments": len(segs), "malformed_rows": len(rows), "labels": sum(len(s.mids) for s in segs)}
        if classes is not None:
            idx = classes.index
            unknown = [(s.line, m) for s in segs for m in s.mids if m not in idx]
            for line, m in unknown[:20]:
                problems.append(f"{path}:{line}: label {m} is not in class_labels_indices.csv")
            counts = np.zeros(len(classes), dtype=np.int64)
            for s in segs:
                for m in s.mids:
                    if m in idx:
                        counts[idx[m]] += 1
            st["classes_without_clips"] = int((counts == 0).sum())
            st["clips_per_class_min_max"] = [int(counts.min()), int(counts.max())]
        ids = [s.clip_id for s in segs]
        if len(set(ids)) != len(ids):
            problems.append(f"{path}: {len(ids) - len(set(ids))} duplicate segment(s)")
        found, missing = match_segments(segs, audio_dir or root, template, pathlib.PurePath(fname).stem)
        st["audio_found"], st["audio_missing"] = len(found), len(missing)
        if headers and found:
            from pkg_shared.io.audio import info

            rates: dict[int, int] = {}
            for e in found:
                try:
                    sr, _, dur = info(e.path)
                    rates[sr] = rates.get(sr, 0) + 1
                    if dur <= 0:
                        problems.append(f"{e.path}: audio has no samples")
                except DataFormatError as exc:
                    problems.append(str(exc))
            st["sample_rates"] = {str(k): v for k, v in sorted(rates.items())}
            if sample_rate is not None and set(rates) - {sample_rate}:
                st["note"] = f"files will be resampled to {sample_rate} Hz"
        report["splits"][split] = st
    return report
