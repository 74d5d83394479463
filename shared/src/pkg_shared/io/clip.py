"""One-shot clip reads for data loaders, with interchangeable back-ends: decord, PyAV, torchcodec,
OpenCV, 'auto'.

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
  Unwanted packets are sent with ``skip_frame=NONREF``: the decoder drops the frames no other frame
  predicts from (most B-frames), which cannot change any returned frame (exact; tested), and skips
  about a quarter of the decoding work on x264-default files.
* torchcodec: exact-seek ``VideoDecoder``, one batched ``get_frames_at``; needs FFmpeg 4-8 shared
  libraries on the system (the wheel does not bundle them), so it is never picked by 'auto'.
* OpenCV: sequential ``grab()`` up to the last wanted frame, ``retrieve()`` (BGR -> RGB) only for
  wanted ones; the container's frame count is checked against what actually decodes.

Indices are clamped to the frames that decode; a failed decord fetch is retried once with a
sequential back-end; every failure is a DataFormatError naming the file.
"""

from __future__ import annotations

import bisect
import functools
import importlib.util
import logging
import os
import pathlib
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import torch

from pkg_shared.errors import DataFormatError, MissingDependencyError, PkgError
from pkg_shared.io.video import check_path

Backend = Literal["auto", "decord", "pyav", "torchcodec", "opencv"]
BACKENDS = ("auto", "decord", "pyav", "torchcodec", "opencv")
_MODULE = {"decord": "decord", "pyav": "av", "torchcodec": "torchcodec", "opencv": "cv2"}
_EXTRA = {"decord": "video", "pyav": "pyav", "torchcodec": "torchcodec", "opencv": "video"}
Choose = Callable[[int], Sequence[int]]
log = logging.getLogger(__name__)

# decord cost model in units of "decode one frame": converting + copying a returned frame, and one
# seek (SeekStart + Seek + key-frame check + decoder thread restart). Measured on 340x256 H.264 and
# MPEG-4 files (packages/video/benchmarks/bench_decode.py --profile): a seek costs about four frame decodes.
_CONVERT, _SEEK = 0.5, 4.0
_DENSE_MAX_SPAN = 160  # never decode-and-convert more frames than this in one dense fetch


def available(backend: str) -> bool:
    """Whether ``backend`` can decode here: its module is installed (and, for torchcodec, the
    system FFmpeg libraries it links against load)."""
    module = _MODULE.get(backend)
    if module is None or importlib.util.find_spec(module) is None:
        return False
    return backend != "torchcodec" or torchcodec_problem() is None


@functools.cache
def torchcodec_problem() -> str | None:
    """None when torchcodec decodes here, else why not (its FFmpeg libraries usually)."""
    if importlib.util.find_spec("torchcodec") is None:
        return "torchcodec is not installed (pip install torchcodec, or pip install './shared[torchcodec]' from the checkout)"
    try:
        from torchcodec.decoders import VideoDecoder  # noqa: F401  (older releases load the FFmpeg-linked core here)

        # newer releases (0.17) load it on first decode instead: ask for it now
        load_core = getattr(importlib.import_module("torchcodec._core.ops"), "load_core_libraries", None)
        if load_core is not None:
            load_core()
    except Exception as exc:  # RuntimeError: could not load libtorchcodec / libavutil.so.N
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else exc.__class__.__name__
        return ("torchcodec cannot load FFmpeg shared libraries (install FFmpeg 4-8, e.g. "
                f"'apt-get install ffmpeg' or 'conda install ffmpeg'): {first}")
    return None


def resolve(backend: str) -> str:
    """'auto' -> decord, else PyAV, else OpenCV (the first one installed)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown video backend {backend!r} (choose from {', '.join(BACKENDS)})")
    if backend != "auto":
        if backend == "torchcodec" and importlib.util.find_spec("torchcodec") is not None:
            problem = torchcodec_problem()
            if problem is not None:
                raise PkgError(problem)
        if not available(backend):
            raise MissingDependencyError(_MODULE[backend], _EXTRA[backend])
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
        before = [p for p in key_pts if p <= pts[uniq[0]]]
        start = max(before) if before else pts[0]
        if threads != 1:
            stream.thread_type = "AUTO"
        stream.codec_context.thread_count = max(threads, 0)
        got, _ = _pyav_decode(path, container, stream, start, frame_of, uniq, skip_nonref=True)
        if not set(uniq) <= set(got):  # a wanted frame was not returned: never trust the skip then
            got, _ = _pyav_decode(path, container, stream, start, frame_of, uniq, skip_nonref=False)
        return _gather(path, idx, got), n
    finally:
        container.close()


def _pyav_decode(path: pathlib.Path, container, stream, start: int, frame_of: dict[int, int], uniq: list[int],
                 skip_nonref: bool) -> tuple[dict[int, np.ndarray], int]:
    """Seek to the key frame at pts ``start``, decode forward to the last wanted frame.
    Returns (wanted frames by index, frames the decoder returned)."""
    import av

    ctx = stream.codec_context
    wanted = set(uniq)
    want = {p for p, i in frame_of.items() if i in wanted}
    last = uniq[-1]
    container.seek(start, stream=stream, backward=True, any_frame=False)
    got: dict[int, np.ndarray] = {}
    decoded = 0
    try:
        for packet in container.demux(stream):
            if skip_nonref:  # the decoder drops frames no other frame references, unless wanted
                ctx.skip_frame = "DEFAULT" if packet.pts is None or packet.pts in want else "NONREF"
            done = False
            for frame in packet.decode():
                decoded += 1
                i = frame_of.get(frame.pts)
                if i is None:
                    continue
                if frame.pts in want:
                    got[i] = frame.to_ndarray(format="rgb24")
                done = done or i >= last
            if done:
                break
    except av.error.FFmpegError as exc:
        if not got:
            raise DataFormatError(path, f"cannot decode frames ({exc.__class__.__name__})") from None
    finally:
        ctx.skip_frame = "DEFAULT"
    return got, decoded


# ---------------------------------------------------------------------------------------------- torchcodec


def _fetch_torchcodec(path: pathlib.Path, choose: Choose, threads: int) -> tuple[np.ndarray, int]:
    from torchcodec.decoders import VideoDecoder

    try:  # exact mode scans the file once, so the frame count is what decodes, not the header's
        dec = VideoDecoder(str(path), dimension_order="NHWC", num_ffmpeg_threads=max(threads, 0), seek_mode="exact")
        n = len(dec)
    except Exception as exc:  # RuntimeError / ValueError from FFmpeg on corrupt data
        raise DataFormatError(path, f"cannot decode video ({exc.__class__.__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''})") from None
    if n <= 0:
        raise DataFormatError(path, "video has no frames")
    idx, uniq = _plan(choose, n)
    try:
        try:
            arr = dec.get_frames_at(uniq).data.numpy()
        except Exception:  # a truncated tail: count the frames that decode, then plan on those
            good = 0
            for i in range(n):
                try:
                    dec.get_frame_at(i)
                except Exception:
                    break
                good += 1
            if good == 0:
                raise DataFormatError(path, "no frame could be decoded") from None
            n = good
            idx, uniq = _plan(choose, n)
            try:
                arr = dec.get_frames_at(uniq).data.numpy()
            except Exception as exc:
                raise DataFormatError(path, f"cannot decode frames ({exc.__class__.__name__})") from None
    finally:
        del dec
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise DataFormatError(path, f"torchcodec returned frames of shape {tuple(arr.shape)}")
    pos = {j: k for k, j in enumerate(uniq)}
    return arr[[pos[i] for i in idx]], n


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


_FETCH = {"decord": _fetch_decord, "pyav": _fetch_pyav, "torchcodec": _fetch_torchcodec, "opencv": _fetch_opencv}


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
