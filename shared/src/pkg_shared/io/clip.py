"""One-shot clip reads for data loaders, with interchangeable back-ends: decord, PyAV, OpenCV, 'auto'.

``read_clip(path, choose)`` opens one reader per sample, asks ``choose(num_frames)`` for frame
indices, and returns them as uint8 THWC RGB. Why beside :class:`pkg_shared.io.video.VideoReader`
(random access to one file, many requests): a loader reads a few frames once per sample and cannot
afford a probe frame at open, a seek back before release, or decoding more than it returns.

* decord: one batched fetch, indices sorted and de-duplicated first (a backwards index makes decord
  rewind to frame 0). decord seeks for every wanted frame in a new key-frame interval; on
  intra-heavy files with dense indices that costs more than decoding the whole span, so
  ``_decord_dense`` picks the cheaper plan from the key-frame index.
* PyAV: packets are demuxed once to map pts -> frame index (no decoding), then the decoder seeks
  to the key frame before the first wanted frame and decodes forward, converting only wanted frames.
* OpenCV: sequential ``grab()`` up to the last wanted frame, ``retrieve()`` (BGR -> RGB) only for
  wanted ones; the container's frame count is checked against what actually decodes.

Indices are clamped to the frames that decode; a failed decord fetch is retried once with a
sequential back-end; every failure is a DataFormatError naming the file.
"""

from __future__ import annotations

import bisect
import importlib.util
import logging
import os
import pathlib
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import torch

from pkg_shared.errors import DataFormatError, MissingDependencyError
from pkg_shared.io.video import check_path

Backend = Literal["auto", "decord", "pyav", "opencv"]
BACKENDS = ("auto", "decord", "pyav", "opencv")
Choose = Callable[[int], Sequence[int]]
log = logging.getLogger(__name__)

# decord cost model in units of "decode one frame": converting + copying a returned frame, and one
# seek (SeekStart + Seek + key-frame check + decoder thread restart). Measured on 340x256 H.264 and
# MPEG-4 files (packages/video/benchmarks/bench_decode.py --profile): a seek costs about four frame decodes.
_CONVERT, _SEEK = 0.5, 4.0
_DENSE_MAX_SPAN = 160  # never decode-and-convert more frames than this in one dense fetch


def available(backend: str) -> bool:
    """Whether the Python module behind ``backend`` can be imported."""
    module = {"decord": "decord", "pyav": "av", "opencv": "cv2"}.get(backend)
    return module is not None and importlib.util.find_spec(module) is not None


def resolve(backend: str) -> str:
    """'auto' -> decord, else PyAV, else OpenCV (the first one installed)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown video backend {backend!r} (choose from {', '.join(BACKENDS)})")
    if backend != "auto":
        if not available(backend):
            module = {"decord": "decord", "pyav": "av", "opencv": "cv2"}[backend]
            raise MissingDependencyError(module, "pyav" if backend == "pyav" else "video")
        return backend
    for b in ("decord", "pyav", "opencv"):
        if available(b):
            return b
    raise MissingDependencyError("cv2", "video")


def _plan(choose: Choose, n: int) -> tuple[list[int], list[int]]:
    """(wanted indices clamped to [0, n), their sorted unique set)."""
    idx = [min(max(int(i), 0), n - 1) for i in choose(n)]
    if not idx:
        raise ValueError("choose() returned no frame index")
    return idx, sorted(set(idx))


def _gather(path: pathlib.Path, idx: list[int], got: dict[int, np.ndarray]) -> np.ndarray:
    """Frames in the order of ``idx``; a frame that did not decode repeats the nearest earlier one."""
    if not got:
        raise DataFormatError(path, f"no frame could be decoded at indices {sorted(set(idx))[:4]}...")
    keys = sorted(got)
    out = []
    for i in idx:
        if i in got:
            out.append(got[i])
        else:
            k = bisect.bisect_right(keys, i) - 1
            out.append(got[keys[max(k, 0)]])
    return np.stack(out)


# ---------------------------------------------------------------------------------------------- decord


def _decord_dense(uniq: list[int], keys: list[int]) -> bool:
    """True when decoding the whole span [first, last] is cheaper than decord's per-frame seeks."""
    span = uniq[-1] - uniq[0] + 1
    if span > _DENSE_MAX_SPAN or not keys:
        return False

    def key_of(i: int) -> int:
        return keys[max(bisect.bisect_right(keys, i) - 1, 0)]

    sparse, cur = 0.0, 0  # cur = decoder position (next frame it would return)
    for j in uniq:
        if key_of(j) != key_of(cur) or j < cur:
            sparse += _SEEK + (j - key_of(j) + 1)
        else:
            sparse += j - cur + 1
        sparse += _CONVERT
        cur = j + 1
    first = uniq[0]
    lead = first - key_of(first) if key_of(first) != key_of(0) else first
    dense = (lead + span) + _CONVERT * span + (_SEEK if key_of(first) != key_of(0) else 0.0)
    return dense < sparse


def _fetch_decord(path: pathlib.Path, choose: Choose, threads: int) -> tuple[np.ndarray, int]:
    import decord

    try:
        vr = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=threads)
        n = len(vr)
    except Exception as exc:  # DECORDError / RuntimeError on corrupt data
        raise DataFormatError(path, f"cannot decode video ({exc.__class__.__name__}: {str(exc).splitlines()[0][:160]})") from None
    if n <= 0:
        raise DataFormatError(path, "video has no frames")
    idx, uniq = _plan(choose, n)
    try:
        if _decord_dense(uniq, list(vr.get_key_indices())):
            arr = vr.get_batch(list(range(uniq[0], uniq[-1] + 1))).asnumpy()
            pos = {j: j - uniq[0] for j in uniq}
        else:
            arr = vr.get_batch(uniq).asnumpy()
            pos = {j: k for k, j in enumerate(uniq)}
    except Exception as exc:  # e.g. decord 0.6 mis-strides 48-px-wide frames, broken packets
        raise DataFormatError(path, f"cannot decode frames ({exc.__class__.__name__})") from None
    finally:
        del vr  # one reader per clip: long-lived decord readers grow in memory
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise DataFormatError(path, f"decord returned frames of shape {tuple(arr.shape)}")
    return arr[[pos[i] for i in idx]], n


# ---------------------------------------------------------------------------------------------- PyAV


def _fetch_pyav(path: pathlib.Path, choose: Choose, threads: int) -> tuple[np.ndarray, int]:
    import av

    try:
        container = av.open(str(path))
    except Exception as exc:  # av.error.InvalidDataError and friends
        raise DataFormatError(path, f"cannot open video ({exc.__class__.__name__})") from None
    try:
        if not container.streams.video:
            raise DataFormatError(path, "no video stream")
        stream = container.streams.video[0]
        pts, key_pts = [], []
        for pkt in container.demux(stream):  # index only: no decoding
            if pkt.pts is None or pkt.size == 0:
                continue
            pts.append(pkt.pts)
            if pkt.is_keyframe:
                key_pts.append(pkt.pts)
        pts.sort()
        n = len(pts)
        if n == 0:
            raise DataFormatError(path, "video has no frames")
        idx, uniq = _plan(choose, n)
        frame_of = {p: i for i, p in enumerate(pts)}
        want, last = set(uniq), uniq[-1]
        before = [p for p in key_pts if p <= pts[uniq[0]]]
        container.seek(max(before) if before else pts[0], stream=stream, backward=True, any_frame=False)
        if threads != 1:
            stream.thread_type = "AUTO"
        stream.codec_context.thread_count = max(threads, 0)
        got: dict[int, np.ndarray] = {}
        try:
            for frame in container.decode(stream):
                i = frame_of.get(frame.pts)
                if i is None:
                    continue
                if i in want:
                    got[i] = frame.to_ndarray(format="rgb24")
                if i >= last:
                    break
        except av.error.FFmpegError as exc:
            if not got:
                raise DataFormatError(path, f"cannot decode frames ({exc.__class__.__name__})") from None
        return _gather(path, idx, got), n
    finally:
        container.close()


# ---------------------------------------------------------------------------------------------- OpenCV


def _open_cv(path: pathlib.Path, threads: int):
    import cv2

    try:
        cap = cv2.VideoCapture(str(path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, threads])
    except (cv2.error, TypeError):
        cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise DataFormatError(path, "cannot open video (unknown container or corrupt file)")
    return cap


def _cv_pass(path: pathlib.Path, uniq: list[int], threads: int) -> tuple[dict[int, np.ndarray], int]:
    """Sequential grab up to the last wanted frame; returns (wanted frames, frames grabbed)."""
    cap = _open_cv(path, threads)
    want, got, i = set(uniq), {}, 0
    try:
        while i <= uniq[-1]:
            if not cap.grab():
                break
            if i in want:
                ok, frame = cap.retrieve()
                if ok:
                    got[i] = np.ascontiguousarray(frame[:, :, ::-1])
            i += 1
    finally:
        cap.release()
    return got, i


def _fetch_opencv(path: pathlib.Path, choose: Choose, threads: int) -> tuple[np.ndarray, int]:
    import cv2

    cap = _open_cv(path, threads)
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    cap.release()
    if n <= 0:  # container without a frame count: count by grabbing everything
        _, n = _cv_pass(path, [2**62], threads)
        if n == 0:
            raise DataFormatError(path, "video has no decodable frames")
    idx, uniq = _plan(choose, n)
    got, grabbed = _cv_pass(path, uniq, threads)
    if grabbed <= uniq[-1]:  # the container over-counted: re-plan on the frames that decode
        if grabbed == 0:
            raise DataFormatError(path, "video has no decodable frames")
        n = grabbed
        idx, uniq = _plan(choose, n)
        if not set(uniq) <= set(got):
            got, _ = _cv_pass(path, uniq, threads)
    return _gather(path, idx, got), n


_FETCH = {"decord": _fetch_decord, "pyav": _fetch_pyav, "opencv": _fetch_opencv}


def read_clip(
    path: str | os.PathLike[str],
    choose: Choose,
    backend: str = "auto",
    threads: int = 1,
) -> tuple[torch.Tensor, int]:
    """Open ``path``, pick indices with ``choose(num_frames)``, return (uint8 THWC RGB, num_frames).

    ``threads`` is the decoder's thread count (1 as in the official configs: data-loader workers
    already use the cores; 0 lets FFmpeg choose).
    """
    p = pathlib.Path(path)
    check_path(p)
    name = resolve(backend)
    try:
        arr, n = _FETCH[name](p, choose, threads)
    except DataFormatError as first:
        if name != "decord":
            raise
        fallback = "pyav" if available("pyav") else "opencv"
        try:  # one sequential retry (broken index, odd frame widths decord mis-strides)
            arr, n = _FETCH[fallback](p, choose, threads)
        except DataFormatError:
            raise first from None
        log.debug("%s: decord failed (%s), decoded with %s", p, first.problem, fallback)
    return torch.from_numpy(np.ascontiguousarray(arr)), n


def check_video(path: str | os.PathLike[str], backend: str = "auto") -> str | None:
    """None if the file opens and its first and last frames decode, else the problem."""
    try:
        read_clip(path, lambda n: [0, n - 1], backend)
    except DataFormatError as exc:
        return exc.problem
    return None
