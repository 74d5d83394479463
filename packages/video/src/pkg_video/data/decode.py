"""Robust clip decoding on top of ``pkg_shared.io.video`` (decord first, OpenCV fallback).

One reader per sample, released after the fetch (long-lived decord readers grow in memory);
indices are clamped to the decodable frames; a failed batched fetch is retried frame by frame.
Every failure is a DataFormatError naming the file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence

import torch

from pkg_shared.errors import DataFormatError
from pkg_shared.io.video import VideoReader


def read_clip(
    path: str | os.PathLike[str],
    choose: Callable[[int], Sequence[int]],
    backend: str = "auto",
) -> tuple[torch.Tensor, int]:
    """Open ``path``, pick indices with ``choose(num_frames)``, return (uint8 THWC RGB, num_frames)."""
    vr = VideoReader(path, backend)  # type: ignore[arg-type]
    try:
        n = len(vr)
        idx = [min(max(int(i), 0), n - 1) for i in choose(n)]
        try:
            frames = vr.get_frames(idx)
        except DataFormatError:
            frames = _sequential(vr, idx)
        return frames, n
    finally:
        _release(vr)


def _sequential(vr: VideoReader, idx: Sequence[int]) -> torch.Tensor:
    """Retry one frame at a time; a frame that still fails repeats the previous good one."""
    out, last = [], None
    for i in idx:
        try:
            last = vr.get_frames([i])[0]
        except DataFormatError:
            if last is None:
                raise
        out.append(last)
    return torch.stack(out)


def _release(vr: VideoReader) -> None:
    inner = getattr(vr, "_vr", None)
    if inner is not None:
        # decord keeps decoding ahead after get_batch: seek back before dropping the reader
        with contextlib.suppress(Exception):
            inner.seek(0)
    for attr in ("_vr", "_frames"):
        if hasattr(vr, attr):
            delattr(vr, attr)


def check_video(path: str | os.PathLike[str], backend: str = "auto") -> str | None:
    """None if the file opens and its first and last frames decode, else the problem."""
    try:
        read_clip(path, lambda n: [0, n - 1], backend)
    except DataFormatError as exc:
        return exc.problem
    return None
