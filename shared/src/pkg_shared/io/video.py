"""Video decoding: decord first, OpenCV as the fallback; frame-index samplers (TSN, multi-clip).

Frames come back as uint8 tensors in THWC (``layout="thwc"``) or TCHW order, RGB.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch

from pkg_shared.errors import DataFormatError, MissingDependencyError

Backend = Literal["auto", "decord", "opencv"]


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    path: str
    num_frames: int
    fps: float
    height: int
    width: int

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps if self.fps > 0 else 0.0


def check_path(path: pathlib.Path) -> None:
    """Fail early, naming the file, on the problems every back-end reports differently."""
    if not path.exists():
        raise DataFormatError(path, "video file not found")
    if path.is_dir():
        raise DataFormatError(path, "expected a video file, found a directory")
    if path.stat().st_size == 0:
        raise DataFormatError(path, "video file is empty")


def _have_decord() -> bool:
    try:
        import decord  # noqa: F401
    except ImportError:
        return False
    return True


class VideoReader:
    """Random access to the frames of one file.

    ``backend="auto"`` uses decord when installed, else OpenCV. Out-of-range indices and
    undecodable files raise DataFormatError naming the file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        backend: Backend = "auto",
        *,
        num_threads: int = 1,
        cache_bytes: int = 256 * 2**20,
    ) -> None:
        """``num_threads``: decord's decoder threads (0 = decord's own choice; keep 1 inside
        DataLoader workers). ``cache_bytes``: the OpenCV backend keeps decoded frames in memory up
        to this size and otherwise streams each request from the start of the file, so a long
        video never has to fit in memory."""
        self.path = pathlib.Path(path)
        self.num_threads = int(num_threads)
        self.cache_bytes = int(cache_bytes)
        check_path(self.path)
        if backend == "auto":
            backend = "decord" if _have_decord() else "opencv"
        self.backend = backend
        if backend == "decord":
            self._open_decord()
        elif backend == "opencv":
            self._open_opencv()
        else:
            raise ValueError(f"unknown video backend {backend!r}")

    def _open_decord(self) -> None:
        import decord

        try:
            self._vr = decord.VideoReader(str(self.path), ctx=decord.cpu(0), num_threads=self.num_threads)
            n = len(self._vr)
            fps = float(self._vr.get_avg_fps())
            first = self._vr[0].asnumpy() if n else None
        except Exception as exc:  # decord raises DECORDError / RuntimeError on corrupt data
            raise DataFormatError(self.path, f"cannot decode video ({exc.__class__.__name__}: {str(exc)[:200]})") from exc
        if n == 0:
            raise DataFormatError(self.path, "video has no frames")
        if first.shape[-1] != 3:
            # decord 0.6 mis-strides some frame widths (e.g. 48 px MJPG): decode with OpenCV instead
            del self._vr
            self.backend = "opencv"
            self._open_opencv()
            return
        h, w = first.shape[:2]
        self.info = VideoInfo(str(self.path), n, fps, int(h), int(w))

    def _capture(self):
        try:
            import cv2
        except ImportError as exc:
            raise MissingDependencyError("cv2", "video") from exc
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            raise DataFormatError(self.path, "cannot open video (unknown container or corrupt file)")
        return cv2, cap

    def _open_opencv(self) -> None:
        cv2, cap = self._capture()
        # CAP_PROP_FRAME_COUNT is an estimate for some containers: decode once to get the truth,
        # keeping the frames while they fit in the cache (then get_frames needs no second pass).
        frames: list[np.ndarray] | None = []
        n, shape, kept = 0, None, 0
        try:
            while cap.grab():
                if frames is not None or shape is None:
                    ok, frame = cap.retrieve()
                    if not ok:
                        break
                    shape = frame.shape
                    if frames is not None:
                        frames.append(frame[:, :, ::-1])
                        kept += frame.nbytes
                        if kept > self.cache_bytes:
                            frames = None
                n += 1
            fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        finally:
            cap.release()
        if n == 0 or shape is None:
            raise DataFormatError(self.path, "video has no decodable frames")
        self._frames = np.stack(frames) if frames is not None else None
        self.info = VideoInfo(str(self.path), n, fps, int(shape[0]), int(shape[1]))

    def _stream_opencv(self, idx: Sequence[int]) -> np.ndarray:
        """One sequential pass up to the last wanted frame, converting only the wanted ones."""
        _, cap = self._capture()
        wanted = set(idx)
        got: dict[int, np.ndarray] = {}
        try:
            for i in range(max(idx) + 1):
                if not cap.grab():
                    break
                if i in wanted:
                    ok, frame = cap.retrieve()
                    if ok:
                        got[i] = frame[:, :, ::-1]
        finally:
            cap.release()
        lost = [i for i in idx if i not in got]
        if lost:
            raise DataFormatError(self.path, f"cannot decode frame {lost[0]} (the file changed or is damaged)")
        return np.stack([got[i] for i in idx])

    def __len__(self) -> int:
        return self.info.num_frames

    def get_frames(self, indices: Sequence[int], layout: Literal["thwc", "tchw"] = "thwc") -> torch.Tensor:
        idx = [int(i) for i in indices]
        bad = [i for i in idx if i < 0 or i >= self.info.num_frames]
        if bad:
            raise DataFormatError(self.path, f"frame index {bad[0]} out of range (video has {self.info.num_frames} frames)")
        if self.backend == "decord":
            try:
                arr = self._vr.get_batch(idx).asnumpy()
            except Exception as exc:
                raise DataFormatError(self.path, f"cannot decode frames ({exc.__class__.__name__})") from exc
        elif self._frames is not None:
            arr = self._frames[idx]
        else:
            arr = self._stream_opencv(idx)
        t = torch.from_numpy(np.ascontiguousarray(arr))
        return t.permute(0, 3, 1, 2).contiguous() if layout == "tchw" else t


def probe(path: str | os.PathLike[str], backend: Backend = "auto") -> VideoInfo:
    return VideoReader(path, backend).info


def read_frames(
    path: str | os.PathLike[str],
    indices: Sequence[int] | None = None,
    layout: Literal["thwc", "tchw"] = "thwc",
    backend: Backend = "auto",
) -> torch.Tensor:
    """All frames (``indices=None``) or the given ones, uint8 RGB."""
    vr = VideoReader(path, backend)
    return vr.get_frames(range(len(vr)) if indices is None else indices, layout)


# ---------------------------------------------------------------- frame-index samplers


def uniform_clip_indices(num_frames: int, clip_len: int, stride: int, start: int) -> list[int]:
    """``clip_len`` indices from ``start`` every ``stride`` frames, looping short videos."""
    if num_frames <= 0:
        raise ValueError("num_frames must be positive")
    return [(start + i * stride) % num_frames for i in range(clip_len)]


def random_clip_indices(num_frames: int, clip_len: int, stride: int, rng: np.random.Generator) -> list[int]:
    """Training clip: a random start so the whole clip fits when the video is long enough."""
    span = (clip_len - 1) * stride + 1
    start = int(rng.integers(0, num_frames - span + 1)) if num_frames >= span else 0
    return uniform_clip_indices(num_frames, clip_len, stride, start)


def multi_clip_indices(num_frames: int, clip_len: int, stride: int, num_clips: int) -> list[list[int]]:
    """Test-time clips with starts spread evenly over the video (multi-clip testing)."""
    span = (clip_len - 1) * stride + 1
    last_start = max(num_frames - span, 0)
    if num_clips == 1:
        starts = [last_start // 2]
    else:
        starts = [round(i * last_start / (num_clips - 1)) for i in range(num_clips)]
    return [uniform_clip_indices(num_frames, clip_len, stride, s) for s in starts]


def segment_indices(num_frames: int, num_segments: int, rng: np.random.Generator | None = None) -> list[int]:
    """TSN sampling: one frame per equal segment, random within it (training) or its centre (test)."""
    if num_frames <= 0:
        raise ValueError("num_frames must be positive")
    edges = np.linspace(0, num_frames, num_segments + 1)
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        lo, hi = int(np.floor(a)), max(int(np.floor(a)) + 1, int(np.ceil(b)))
        hi = min(hi, num_frames)
        lo = min(lo, hi - 1)
        out.append(int(rng.integers(lo, hi)) if rng is not None else (lo + hi - 1) // 2)
    return out
