"""Builders of tiny fixtures (video, audio, image files) and comparison helpers for tests and demos."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import torch


def write_video(
    path: str | os.PathLike[str],
    frames: np.ndarray | None = None,
    *,
    num_frames: int = 16,
    height: int = 32,
    width: int = 40,
    fps: float = 25.0,
    seed: int = 0,
) -> pathlib.Path:
    """Write an MJPG ``.avi`` (or mp4v ``.mp4``) with OpenCV; frames are THWC uint8 RGB.

    Without ``frames``, draws a moving square over a smooth background so that codecs keep it.
    """
    import cv2

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if frames is None:
        rng = np.random.default_rng(seed)
        frames = np.zeros((num_frames, height, width, 3), dtype=np.uint8)
        base = rng.integers(40, 200, size=3)
        for t in range(num_frames):
            frames[t, :, :] = base
            y = (t * 2) % max(height - 8, 1)
            x = (t * 3) % max(width - 8, 1)
            frames[t, y : y + 8, x : x + 8] = 255 - base
    frames = np.asarray(frames, dtype=np.uint8)
    t, h, w, _ = frames.shape
    fourcc = cv2.VideoWriter_fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    writer = cv2.VideoWriter(str(tmp), fourcc, float(fps), (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path.suffix} files here")
    for f in frames:
        writer.write(np.ascontiguousarray(f[:, :, ::-1]))
    writer.release()
    os.replace(tmp, path)
    return path


def sine_wave(freq: float, seconds: float, sample_rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_audio(path: str | os.PathLike[str], wave: np.ndarray, sample_rate: int) -> pathlib.Path:
    from pkg_shared.io.audio import write_wav

    write_wav(path, wave, sample_rate)
    return pathlib.Path(path)


def write_random_image(path: str | os.PathLike[str], height: int = 32, width: int = 24, seed: int = 0) -> pathlib.Path:
    from pkg_shared.io.image import write_image

    rng = np.random.default_rng(seed)
    write_image(path, rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8))
    return pathlib.Path(path)


def assert_close(actual: torch.Tensor, expected: torch.Tensor, *, atol: float, rtol: float = 0.0, what: str = "") -> None:
    """torch.testing.assert_close with explicit tolerances and a label in the message."""
    torch.testing.assert_close(actual, expected, atol=atol, rtol=rtol, msg=lambda m: f"{what}: {m}" if what else m)
