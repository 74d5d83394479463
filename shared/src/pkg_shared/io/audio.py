"""Audio decoding with soundfile (librosa for formats it lacks), mono mix-down and resampling.

torchaudio 2.11's file I/O needs torchcodec, so decoding does not go through it.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np

from pkg_shared.errors import DataFormatError, require


def info(path: str | os.PathLike[str]) -> tuple[int, int, float]:
    """(sample_rate, channels, duration_s) without decoding the samples (soundfile formats only)."""
    sf = require("soundfile", "audio")
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "audio file not found")
    try:
        i = sf.info(str(path))
    except Exception as exc:
        raise DataFormatError(path, f"cannot read audio header ({exc})") from exc
    return int(i.samplerate), int(i.channels), float(i.duration)


def to_mono(wave: np.ndarray) -> np.ndarray:
    """(samples,) or (samples, channels) -> (samples,) float32 by averaging channels."""
    if wave.ndim == 1:
        return wave.astype(np.float32, copy=False)
    return wave.mean(axis=1).astype(np.float32)


def resample(wave: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Band-limited polyphase resampling (scipy's resample_poly, Kaiser window)."""
    if orig_sr == target_sr:
        return wave.astype(np.float32, copy=False)
    from math import gcd

    signal = require("scipy.signal", "audio")
    g = gcd(int(orig_sr), int(target_sr))
    up, down = int(target_sr) // g, int(orig_sr) // g
    return signal.resample_poly(wave, up, down, axis=0).astype(np.float32)


def load_audio(
    path: str | os.PathLike[str],
    sample_rate: int | None = None,
    mono: bool = True,
    expect_sample_rate: int | None = None,
) -> tuple[np.ndarray, int]:
    """Decode to float32 in [-1, 1]; optional mono mix and resampling to ``sample_rate``.

    ``expect_sample_rate`` turns a rate mismatch into an error instead of resampling (for data
    sets whose format fixes the rate). Returns (samples[, channels]) and the final rate.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise DataFormatError(path, "audio file not found")
    if path.is_dir():
        raise DataFormatError(path, "expected an audio file, found a directory")
    if path.stat().st_size == 0:
        raise DataFormatError(path, "audio file is empty")
    wave, sr = _decode(path)
    if wave.size == 0:
        raise DataFormatError(path, "audio file has no samples")
    if expect_sample_rate is not None and sr != expect_sample_rate:
        raise DataFormatError(path, f"sample rate is {sr} Hz, expected {expect_sample_rate} Hz")
    if mono:
        wave = to_mono(wave)
    if sample_rate is not None and sample_rate != sr:
        wave = resample(wave, sr, sample_rate)
        sr = sample_rate
    return wave.astype(np.float32, copy=False), int(sr)


def _decode(path: pathlib.Path) -> tuple[np.ndarray, int]:
    sf = require("soundfile", "audio")
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=False)
        return np.asarray(data), int(sr)
    except Exception as sf_exc:
        try:
            librosa = require("librosa", "audio")
            data, sr = librosa.load(str(path), sr=None, mono=False)
        except Exception as exc:
            raise DataFormatError(path, f"cannot decode audio (soundfile: {sf_exc}; librosa: {exc})") from exc
        data = np.asarray(data, dtype=np.float32)
        return (data.T if data.ndim == 2 else data), int(sr)


def write_wav(path: str | os.PathLike[str], wave: np.ndarray, sample_rate: int) -> None:
    """16-bit PCM WAV, written atomically."""
    sf = require("soundfile", "audio")
    from pkg_shared.fsutil import atomic_open

    path = pathlib.Path(path)
    with atomic_open(path, "wb") as fh:
        sf.write(fh, np.asarray(wave, dtype=np.float32), int(sample_rate), format="WAV", subtype="PCM_16")
