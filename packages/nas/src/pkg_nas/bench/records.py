"""Architecture-dataset records: one JSON line per (assignment, seed), appended atomically.

The builder is resumable (a unit whose record with the same ``recipe_hash`` exists is skipped)
and shardable (``--shard i/n``: a unit belongs to shard ``sha1(assignment:seed) mod n``, the same
on every machine), so many processes can build one dataset into separate files or one file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pathlib
import statistics
import subprocess
from collections.abc import Callable, Iterable

from pkg_nas.config import RunConfig
from pkg_nas.space import LayerAssignment, enumerate_range
from pkg_shared.config import to_dict
from pkg_shared.errors import ConfigError, DataFormatError
from pkg_shared.fsutil import append_line
from pkg_shared.io.tables import read_jsonl

REQUIRED = ("assignment", "depth", "seed", "top1_test", "recipe_hash")


def recipe_hash(cfg: RunConfig) -> str:
    """Hash of everything that changes a result: model, data (except the root path) and train."""
    data = to_dict(cfg.data)
    data.pop("root", None)
    data.pop("workers", None)
    payload = {"model": to_dict(cfg.model), "data": data, "train": to_dict(cfg.train)}
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


def read_records(path: str | pathlib.Path) -> list[dict]:
    """All records of a JSONL file; a malformed line raises DataFormatError naming file and line."""
    path = pathlib.Path(path)
    out = []
    for lineno, rec in read_jsonl(path, what="architecture-dataset file"):
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
    groups: dict[LayerAssignment, list[dict]] = {}
    for r in records:
        if recipe is not None and r.get("recipe_hash") != recipe:
            continue
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
               "final_train_loss": res["final_train_loss"], "wall_time_s": round(res["wall_time_s"], 3), "git_rev": rev}
        append_line(out, json.dumps(rec))
        log(f"bench [{k}/{len(todo)}] {a} seed {s}: test top-1 {res['top1_test']:.2f}% ({res['wall_time_s']:.1f}s)")
    return len(todo)
