"""Run logging: console + ``run.log`` via stdlib logging, metrics to CSV and (optionally) TensorBoard."""

from __future__ import annotations

import csv
import logging as _logging
import os
import pathlib
from typing import Any

_FMT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup(run_dir: str | os.PathLike[str] | None = None, level: int = _logging.INFO, rank: int = 0) -> _logging.Logger:
    """Configure the root logger once: console always, ``run_dir/run.log`` on rank 0."""
    root = _logging.getLogger()
    root.setLevel(level if rank == 0 else _logging.WARNING)
    for h in list(root.handlers):
        if getattr(h, "_pkg_shared", False):
            root.removeHandler(h)
            h.close()
    console = _logging.StreamHandler()
    console.setFormatter(_logging.Formatter("%(levelname)s %(message)s"))
    console._pkg_shared = True  # type: ignore[attr-defined]
    root.addHandler(console)
    if run_dir is not None and rank == 0:
        pathlib.Path(run_dir).mkdir(parents=True, exist_ok=True)
        fh = _logging.FileHandler(pathlib.Path(run_dir) / "run.log", encoding="utf-8")
        fh.setFormatter(_logging.Formatter(_FMT))
        fh._pkg_shared = True  # type: ignore[attr-defined]
        root.addHandler(fh)
    return root


class MetricsLogger:
    """Append scalars to ``metrics.csv`` (always) and TensorBoard (when installed and enabled).

    The CSV gains columns as new keys appear: it is rewritten then, which is rare. Rows are
    flushed at once so an interrupted run keeps its curve. Only rank 0 should create one.
    """

    def __init__(self, run_dir: str | os.PathLike[str], tensorboard: bool = True) -> None:
        self.run_dir = pathlib.Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.csv_path = self.run_dir / "metrics.csv"
        self._columns: list[str] = []
        if self.csv_path.exists():
            with open(self.csv_path, newline="", encoding="utf-8") as fh:
                header = next(csv.reader(fh), None)
            self._columns = list(header or [])
        self._tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(log_dir=str(self.run_dir / "tb"))
            except Exception as exc:  # tensorboard not installed (or broken): CSV only, and say so
                self._tb = None
                _logging.getLogger(__name__).warning(
                    "TensorBoard logging is off (%s: %s); metrics go to %s only. Install it with "
                    "`pip install tensorboard`.", exc.__class__.__name__, str(exc).splitlines()[0][:120] if str(exc) else "",
                    self.csv_path)

    def log(self, step: int, **scalars: Any) -> None:
        values = {k: float(v) for k, v in scalars.items()}
        new = [k for k in values if k not in self._columns]
        if new or not self._columns:
            self._rewrite(["step"] + [c for c in self._columns if c != "step"] + new)
        with open(self.csv_path, "a", newline="", encoding="utf-8") as fh:
            row = {"step": step, **values}
            csv.DictWriter(fh, fieldnames=self._columns).writerow(row)
        if self._tb is not None:
            for k, v in values.items():
                self._tb.add_scalar(k, v, step)

    def histogram(self, tag: str, values: Any, step: int) -> None:
        """Distribution of ``values`` (tensor or array) in TensorBoard; a no-op without it."""
        if self._tb is not None:
            self._tb.add_histogram(tag, values, step)

    def _rewrite(self, columns: list[str]) -> None:
        rows: list[dict[str, str]] = []
        if self.csv_path.exists() and self._columns:
            with open(self.csv_path, newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        from pkg_shared.fsutil import atomic_open

        with atomic_open(self.csv_path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=columns)
            w.writeheader()
            w.writerows(rows)
        self._columns = columns

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None


def progress(iterable=None, **kwargs: Any):
    """tqdm that stays quiet when stderr is not a terminal (CI logs)."""
    from tqdm.auto import tqdm

    kwargs.setdefault("disable", None)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kwargs)
