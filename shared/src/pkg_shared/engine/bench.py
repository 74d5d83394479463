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


def time_fn(fn: Callable[[], Any], *, warmup: int = 2, repeat: int = 5) -> dict[str, float]:
    """Median/min/max wall time in seconds of ``fn()`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    _sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        _sync()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "repeat": repeat}


def compare(
    name: str,
    candidate: Callable[[], Any],
    baseline: Callable[[], Any],
    *,
    warmup: int = 2,
    repeat: int = 5,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Time both in the same process; ``speedup`` = baseline median / candidate median."""
    base = time_fn(baseline, warmup=warmup, repeat=repeat)
    cand = time_fn(candidate, warmup=warmup, repeat=repeat)
    return {
        "name": name,
        "candidate": cand,
        "baseline": base,
        "speedup": base["median_s"] / cand["median_s"] if cand["median_s"] > 0 else float("inf"),
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
