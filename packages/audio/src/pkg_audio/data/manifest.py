"""Clip lists: AudioSet CSV + a folder of audio (file-name template) or a manifest file.

Manifest formats: AST's JSON ``{"data": [{"wav": PATH, "labels": "/m/a,/m/b"}]}`` or a TSV
``PATH<TAB>mid1,mid2``. Relative paths are taken relative to the manifest's folder.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
from collections.abc import Sequence

from pkg_audio.data.audioset import MID_RE, Segment
from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_write_json, atomic_write_text
from pkg_shared.io.tables import read_json, read_rows


@dataclasses.dataclass(frozen=True)
class Entry:
    clip_id: str
    path: pathlib.Path
    mids: tuple[str, ...]


def format_path(template: str, seg: Segment, split: str) -> str:
    try:
        return template.format(ytid=seg.ytid, start=seg.start, end=seg.end, split=split)
    except (KeyError, IndexError, ValueError) as exc:
        raise DataFormatError(template, f"bad filename_template ({exc}); fields are ytid, start, end, split") from exc


def _basename_index(root: pathlib.Path) -> dict[str, pathlib.Path]:
    """File name -> path for every file below ``root`` (for templates containing ``**``)."""
    out: dict[str, pathlib.Path] = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            out.setdefault(f, pathlib.Path(dirpath) / f)
    return out


def match_segments(segments: Sequence[Segment], audio_dir: str | os.PathLike[str], template: str,
                   split: str) -> tuple[list[Entry], list[Segment]]:
    """(found entries, missing segments). ``**`` in the template searches all sub-folders by file name."""
    audio_dir = pathlib.Path(audio_dir)
    found: list[Entry] = []
    missing: list[Segment] = []
    index = None
    for s in segments:
        rel = format_path(template, s, split)
        if "**" in rel:
            if index is None:
                head = rel.split("**")[0]
                index = _basename_index(audio_dir / head)
            p = index.get(pathlib.PurePath(rel).name)
        else:
            p = audio_dir / rel
            p = p if p.is_file() else None
        if p is None:
            missing.append(s)
        else:
            found.append(Entry(s.clip_id, p, s.mids))
    return found, missing


def read_manifest(path: str | os.PathLike[str]) -> list[Entry]:
    path = pathlib.Path(path)
    base = path.parent
    entries: list[Entry] = []
    if path.suffix.lower() == ".json":
        data = read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise DataFormatError(path, 'expected a JSON object {"data": [{"wav": ..., "labels": ...}, ...]}')
        for i, item in enumerate(data["data"]):
            if not isinstance(item, dict) or "wav" not in item or "labels" not in item:
                raise DataFormatError(path, f"entry #{i} needs keys 'wav' and 'labels'")
            entries.append(_entry(path, None, base, str(item["wav"]), str(item["labels"]), item.get("id")))
    else:
        for lineno, fields in read_rows(path, delimiter="\t", comment="#"):
            if len(fields) != 2:
                raise DataFormatError(path, f"expected PATH<TAB>MIDS, found {len(fields)} field(s)", lineno)
            entries.append(_entry(path, lineno, base, fields[0], fields[1], None))
    if not entries:
        raise DataFormatError(path, "manifest lists no clips")
    return entries


def _entry(path: pathlib.Path, line: int | None, base: pathlib.Path, wav: str, labels: str, cid) -> Entry:
    mids = tuple(m.strip() for m in labels.split(",") if m.strip())
    for m in mids:
        if not MID_RE.match(m):
            raise DataFormatError(path, f"invalid label MID {m!r}", line)
    p = pathlib.Path(wav)
    p = p if p.is_absolute() else base / p
    return Entry(str(cid) if cid else p.stem, p, mids)


def write_manifest(path: str | os.PathLike[str], entries: Sequence[Entry]) -> None:
    """AST-style JSON (``.json``) or TSV (anything else); paths written as given."""
    path = pathlib.Path(path)
    if path.suffix.lower() == ".json":
        atomic_write_json(path, {"data": [{"id": e.clip_id, "wav": str(e.path), "labels": ",".join(e.mids)} for e in entries]})
    else:
        atomic_write_text(path, "".join(f"{e.path}\t{','.join(e.mids)}\n" for e in entries))


def write_missing_report(path: str | os.PathLike[str], split: str, total: int, missing: Sequence[Segment]) -> dict:
    report = {"split": split, "listed": total, "found": total - len(missing), "missing": len(missing),
              "missing_ids": [s.clip_id for s in missing]}
    atomic_write_json(path, report)
    return report


def write_id_list(path: str | os.PathLike[str], ids: Sequence[str]) -> None:
    """The exact evaluated clip ids, one per line: results are only comparable on equal subsets."""
    atomic_write_text(path, "".join(f"{i}\n" for i in ids))


def read_id_list(path: str | os.PathLike[str]) -> list[str]:
    path = pathlib.Path(path)
    return [f[0] for _, f in read_rows(path, delimiter=None, comment="#")]


def dumps(entries: Sequence[Entry]) -> str:
    return json.dumps([dataclasses.asdict(e) for e in entries], default=str)
