"""Architecture-dataset records: one JSON line per (assignment, seed), appended atomically.

The builder is resumable (a unit whose record with the same ``recipe_hash`` exists is skipped)
and shardable (``--shard i/n``: a unit belongs to shard ``sha1(assignment:seed) mod n``, the same
on every machine), so many processes can build one dataset into separate files or one file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pathlib
import statistics
import subprocess
from collections.abc import Callable, Iterable

from pkg_nas.config import RunConfig
from pkg_nas.space import LayerAssignment, enumerate_range
from pkg_shared.config import to_dict
from pkg_shared.errors import ConfigError, DataFormatError
from pkg_shared.io.tables import read_jsonl

REQUIRED = ("assignment", "depth", "seed", "top1_test", "recipe_hash")


# keys that do not change a trained network's numbers: left out of the hash, so changing them
# (or resuming with more frequent checkpoints) keeps the records of a build valid
NEUTRAL = {"data": ("root", "workers", "eval_batch_size"), "train": ("checkpoint_every", "log_every")}


def recipe_hash(cfg: RunConfig) -> str:
    """First 12 hex digits of SHA-1 over the model, data and train sections, without ``NEUTRAL``
    keys (and without ``train.amp_dtype`` while ``train.amp`` is off)."""
    data, tr = to_dict(cfg.data), to_dict(cfg.train)
    for k in NEUTRAL["data"]:
        data.pop(k, None)
    for k in NEUTRAL["train"]:
        tr.pop(k, None)
    if not tr.get("amp"):
        tr.pop("amp_dtype", None)
    payload = {"model": to_dict(cfg.model), "data": data, "train": tr}
    return hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


def shard_of(a: LayerAssignment, seed: int, n: int) -> int:
    return int(hashlib.sha1(f"{a}:{seed}".encode()).hexdigest(), 16) % n


def parse_shard(text: str | None) -> tuple[int, int]:
    if not text:
        return 0, 1
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise ConfigError(f"--shard {text}: need 0 <= i < n")
    return i, n


def read_records(path: str | pathlib.Path, *, allow_torn_tail: bool = False) -> list[dict]:
    """All records of a JSONL file; a malformed line raises DataFormatError naming file and line.

    ``allow_torn_tail``: a last line without its newline that is not valid JSON (a writer killed
    mid-line) is ignored instead of being an error.
    """
    path = pathlib.Path(path)
    torn = torn_tail(path) if allow_torn_tail else 0
    out = []
    lines = read_jsonl(path, what="architecture-dataset file")
    while True:
        try:
            lineno, rec = next(lines)
        except StopIteration:
            break
        except DataFormatError as exc:
            if torn and exc.line == torn:
                break
            raise
        missing = [k for k in REQUIRED if k not in rec]
        if missing:
            raise DataFormatError(path, f"record lacks field(s) {missing}", lineno)
        try:
            a = LayerAssignment(rec["assignment"])
        except Exception as exc:
            raise DataFormatError(path, f"bad assignment {rec['assignment']!r} ({exc})", lineno) from None
        if a.depth != rec["depth"]:
            raise DataFormatError(path, f"depth {rec['depth']} != sum of assignment {a}", lineno)
        out.append(rec)
    return out


def torn_tail(path: pathlib.Path) -> int:
    """Line number of a final line lacking its newline (0 when the file ends cleanly)."""
    if not path.is_file() or path.stat().st_size == 0:
        return 0
    with open(path, "rb") as fh:
        fh.seek(-1, 2)
        if fh.read(1) == b"\n":
            return 0
        fh.seek(0)
        return fh.read().count(b"\n") + 1


def drop_torn_tail(path: pathlib.Path, log: Callable[[str], None] = print) -> None:
    """Cut an unterminated last line (left by a killed writer) so the next append starts clean."""
    line = torn_tail(path)
    if not line:
        return
    raw = path.read_bytes()
    tail = raw[raw.rfind(b"\n") + 1:]
    try:
        json.loads(tail)
    except ValueError:
        with open(path, "r+b") as fh:
            fh.truncate(len(raw) - len(tail))
        log(f"bench: {path}:{line}: dropped an incomplete last line ({len(tail)} bytes) left by an interrupted writer")
        return
    with open(path, "ab") as fh:  # a complete record that only lacks its newline
        fh.write(b"\n")


@contextlib.contextmanager
def locked(path: pathlib.Path):
    """Exclusive advisory lock on ``path`` (created if missing) for the duration of the block:
    shards building into one file never interleave a line, and a tail repair never cuts a line
    that another live writer is still writing. Without fcntl (Windows) it only opens the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX
            yield fh
            return
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield fh
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def append_record(path: pathlib.Path, rec: dict) -> None:
    """One JSON line, written with a single write under the lock and fsynced."""
    with locked(path) as fh:
        fh.write((json.dumps(rec) + "\n").encode())
        fh.flush()
        os.fsync(fh.fileno())


def read_many(paths: Iterable[str | pathlib.Path]) -> list[dict]:
    """Records of several files (e.g. one per shard or machine); a unit present twice, same
    (assignment, seed, recipe_hash), counts once (the first record is kept)."""
    seen, out = set(), []
    for p in paths:
        for r in read_records(p, allow_torn_tail=True):
            key = (tuple(r["assignment"]), int(r["seed"]), r["recipe_hash"])
            if key not in seen:
                seen.add(key)
                out.append(r)
    return out


@dataclasses.dataclass(frozen=True)
class Entry:
    """Aggregated view of one assignment over seeds."""

    assignment: LayerAssignment
    mean: float
    std: float
    n: int
    params: int
    macs: int

    @property
    def depth(self) -> int:
        return self.assignment.depth


def aggregate(records: Iterable[dict], metric: str = "top1_test", recipe: str | None = None) -> dict[LayerAssignment, Entry]:
    """Mean and sample std over seeds per assignment. Records of different recipes are never
    mixed: with several recipe hashes present, ``recipe`` must choose one."""
    records = list(records)
    hashes = sorted({r.get("recipe_hash") for r in records})
    if recipe is None and len(hashes) > 1:
        raise ConfigError(f"records of {len(hashes)} recipes ({', '.join(map(str, hashes))}): choose one with --recipe")
    groups: dict[LayerAssignment, list[dict]] = {}
    for r in records:
        if recipe is not None and r.get("recipe_hash") != recipe:
            continue
        if metric not in r:
            raise ConfigError(f"records have no field {metric!r} (fields: {', '.join(sorted(r))})")
        groups.setdefault(LayerAssignment(r["assignment"]), []).append(r)
    out = {}
    for a, rs in groups.items():
        vals = [float(r[metric]) for r in rs]
        out[a] = Entry(a, statistics.fmean(vals), statistics.stdev(vals) if len(vals) > 1 else 0.0, len(vals),
                       int(rs[0].get("params", 0)), int(rs[0].get("macs", 0)))
    return out


def git_rev() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=5, cwd=pathlib.Path(__file__).parent).stdout.strip() or "unknown"
    except Exception:
        return "unknown"


def build(cfg: RunConfig, out: str | pathlib.Path, *, shard: tuple[int, int] = (0, 1),
          train_fn: Callable[[RunConfig], dict], log: Callable[[str], None] = print) -> int:
    """Train every (assignment, seed) of this shard not yet in ``out``; returns how many were trained."""
    out = pathlib.Path(out)
    b = cfg.bench
    if b.depth_min < cfg.model.stages or b.depth_max < b.depth_min:
        raise ConfigError(f"bench depths {b.depth_min}..{b.depth_max} invalid for {cfg.model.stages} stages")
    rh = recipe_hash(cfg)
    done = set()
    if out.is_file():
        with locked(out):
            drop_torn_tail(out, log)
        done = {(str(LayerAssignment(r["assignment"])), int(r["seed"])) for r in read_records(out) if r["recipe_hash"] == rh}
    units = [(a, s) for a in enumerate_range(b.depth_min, b.depth_max, cfg.model.stages, b.max_per_stage)
             for s in range(b.seeds) if shard_of(a, s, shard[1]) == shard[0]]
    todo = [(a, s) for a, s in units if (str(a), s) not in done]
    log(f"bench: {len(units)} unit(s) in shard {shard[0]}/{shard[1]}, {len(units) - len(todo)} already done, recipe {rh}")
    rev = git_rev()
    for k, (a, s) in enumerate(todo, 1):
        run_cfg = dataclasses.replace(cfg, assignment=str(a), train=dataclasses.replace(cfg.train, seed=s))
        res = train_fn(run_cfg)
        rec = {"assignment": list(a), "depth": a.depth, "family": cfg.model.family, "widths": list(cfg.model.widths),
               "dataset": cfg.data.dataset, "seed": s, "params": res["params"], "macs": res["macs"],
               "epochs": cfg.train.epochs, "recipe_hash": rh, "top1_test": res["top1_test"],
               "top5_test": res["top5_test"], "top1_val": res["top1_val"],
               "final_train_loss": res["final_train_loss"], "wall_time_s": round(res["wall_time_s"], 3),
               "cpu_time_s": round(res.get("cpu_time_s", float("nan")), 3), "git_rev": rev}
        append_record(out, rec)
        log(f"bench [{k}/{len(todo)}] {a} seed {s}: test top-1 {res['top1_test']:.2f}% ({res['wall_time_s']:.1f} s wall, {res.get('cpu_time_s', float('nan')):.1f} s CPU)")
    return len(todo)
