"""Benchmark helper: warm-up, median of N, ratio to a baseline measured in the same run, JSON out."""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _stats(wall: list[float], cpu: list[float]) -> dict[str, float]:
    return {"median_s": statistics.median(wall), "min_s": min(wall), "max_s": max(wall),
            "cpu_median_s": statistics.median(cpu), "repeat": len(wall)}


def time_many(fns: dict[str, Callable[[], Any]], *, warmup: int = 2, repeat: int = 5,
              interleave: bool = True) -> dict[str, dict[str, float]]:
    """Wall and process-CPU time (seconds; CPU counts every thread) of each function.

    With ``interleave`` every round calls each function once, in an order rotated by one each
    round, so a load change on a shared machine hits all of them alike; otherwise each function's
    repeats run back to back.
    """
    names = list(fns)
    for name in names:
        for _ in range(warmup):
            fns[name]()
    _sync()
    wall: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}

    def one(k: str) -> None:
        w0, c0 = time.perf_counter(), time.process_time()
        fns[k]()
        _sync()
        wall[k].append(time.perf_counter() - w0)
        cpu[k].append(time.process_time() - c0)

    if interleave:
        for r in range(repeat):
            for k in names[r % len(names):] + names[:r % len(names)]:
                one(k)
    else:
        for k in names:
            for _ in range(repeat):
                one(k)
    return {k: _stats(wall[k], cpu[k]) for k in names}


def time_fn(fn: Callable[[], Any], *, warmup: int = 2, repeat: int = 5) -> dict[str, float]:
    """Median/min/max wall time and median CPU time in seconds of ``fn()`` after ``warmup`` untimed calls."""
    return time_many({"fn": fn}, warmup=warmup, repeat=repeat)["fn"]


def compare(
    name: str,
    candidate: Callable[[], Any],
    baseline: Callable[[], Any],
    *,
    warmup: int = 2,
    repeat: int = 5,
    interleave: bool = True,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Time both in the same process, interleaved by default (see :func:`time_many`);
    ``speedup`` = baseline median / candidate median (wall), ``cpu_speedup`` the same in CPU time."""
    t = time_many({"baseline": baseline, "candidate": candidate}, warmup=warmup, repeat=repeat, interleave=interleave)
    base, cand = t["baseline"], t["candidate"]
    return {
        "name": name,
        "candidate": cand,
        "baseline": base,
        "speedup": base["median_s"] / cand["median_s"] if cand["median_s"] > 0 else float("inf"),
        "cpu_speedup": base["cpu_median_s"] / cand["cpu_median_s"] if cand["cpu_median_s"] > 0 else float("inf"),
        "interleaved": interleave,
        "machine": {"python": platform.python_version(), "torch": torch.__version__,
                    "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                    "threads": torch.get_num_threads()},
        **(extra or {}),
    }


def report(results: list[dict[str, Any]], path: str | None = None) -> str:
    """One line per result for the console; the full JSON to ``path`` when given."""
    lines = [
        f"{r['name']}: candidate {r['candidate']['median_s'] * 1e3:.2f} ms, baseline "
        f"{r['baseline']['median_s'] * 1e3:.2f} ms, speed-up x{r['speedup']:.2f}"
        for r in results
    ]
    if path:
        from pkg_shared.fsutil import atomic_write_text

        atomic_write_text(path, json.dumps(results, indent=2) + "\n")
    return "\n".join(lines)
