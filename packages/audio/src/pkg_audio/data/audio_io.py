"""Decoding path: soundfile decode -> mono (channel mean) -> resample -> clip to [-1, 1] -> pad/crop.

Integer PCM is scaled by soundfile's convention (int16 / 32768). soxr is the default resampler;
``poly`` is scipy's polyphase filter; ``decimate`` takes every n-th sample like PANNs (for
reproducing their 32 -> 16 kHz path only; it aliases).
"""

from __future__ import annotations

import os
import threading

import numpy as np

from pkg_shared.errors import DataFormatError, require
from pkg_shared.io.audio import load_audio
from pkg_shared.io.audio import resample as poly_resample


class ClipCounter:
    """Thread-safe count of decoded files whose samples exceeded +-1 and were clipped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clipped_files = 0
        self.clipped_samples = 0

    def add(self, n: int) -> None:
        if n:
            with self._lock:
                self.clipped_files += 1
                self.clipped_samples += n


CLIP_COUNTER = ClipCounter()


def resample(wave: np.ndarray, orig_sr: int, target_sr: int, method: str = "soxr") -> np.ndarray:
    if orig_sr == target_sr:
        return wave.astype(np.float32, copy=False)
    if method == "soxr":
        soxr = require("soxr", "audio", "pkg-audio")
        return soxr.resample(wave.astype(np.float32, copy=False), orig_sr, target_sr).astype(np.float32, copy=False)
    if method == "poly":
        return poly_resample(wave, orig_sr, target_sr)
    if method == "decimate":
        if orig_sr % target_sr:
            raise ValueError(f"resample=decimate needs an integer rate ratio, got {orig_sr} -> {target_sr}")
        return np.ascontiguousarray(wave[:: orig_sr // target_sr]).astype(np.float32, copy=False)
    raise ValueError(f"unknown resampler {method!r}")


def clip_unit(wave: np.ndarray, counter: ClipCounter | None = CLIP_COUNTER) -> np.ndarray:
    """Clip silently to [-1, 1] and count (decoded float audio can overshoot slightly)."""
    over = int(np.count_nonzero(np.abs(wave) > 1.0))
    if over:
        wave = np.clip(wave, -1.0, 1.0)
        if counter is not None:
            counter.add(over)
    return wave


def pad_or_crop(wave: np.ndarray, length: int, offset: int = 0) -> np.ndarray:
    """Zero-pad at the end or take ``length`` samples from ``offset``."""
    if len(wave) >= length:
        return wave[offset : offset + length]
    out = np.zeros(length, dtype=np.float32)
    out[: len(wave)] = wave
    return out


def rms_normalise(wave: np.ndarray, target: float = 0.1, eps: float = 1e-8) -> np.ndarray:
    rms = float(np.sqrt(np.mean(wave.astype(np.float64) ** 2)))
    return (wave * (target / (rms + eps))).astype(np.float32) if rms > eps else wave


def decode(path: str | os.PathLike[str], sample_rate: int, method: str = "soxr") -> np.ndarray:
    """Any file soundfile (or librosa) reads, any rate/channels -> mono float32 at ``sample_rate``."""
    wave, sr = load_audio(path, sample_rate=None, mono=True)
    if wave.ndim != 1:
        raise DataFormatError(path, f"unexpected decoded shape {wave.shape}")
    try:
        wave = resample(wave, sr, sample_rate, method)
    except ValueError as exc:
        raise DataFormatError(path, str(exc)) from exc
    return clip_unit(wave)


def load_clip(path: str | os.PathLike[str], sample_rate: int, clip_seconds: float, method: str = "soxr",
              rng: np.random.Generator | None = None, crop_seconds: float = 0.0, rms: bool = False) -> np.ndarray:
    """Fixed-length training/eval clip; with ``rng`` and ``crop_seconds`` > 0 a random crop is zero-padded."""
    wave = decode(path, sample_rate, method)
    length = int(round(clip_seconds * sample_rate))
    if rng is not None and crop_seconds > 0:
        n = int(round(crop_seconds * sample_rate))
        off = int(rng.integers(0, max(len(wave) - n, 0) + 1))
        wave = pad_or_crop(wave[off:], n)
    if rms:
        wave = rms_normalise(wave)
    return pad_or_crop(wave, length)
