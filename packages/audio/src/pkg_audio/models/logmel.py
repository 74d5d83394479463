"""Log-mel front end for the "hand-crafted feature" ablation (spec 3.5, ``logmel_mla``)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear below 1 kHz, logarithmic above (librosa's default, htk=False)."""
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mels)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_mel = 1000.0 / f_sp
    logstep = math.log(6.4) / 27.0
    return np.where(m >= min_log_mel, 1000.0 * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """(n_mels, n_fft//2+1) triangular filters with Slaney area normalisation."""
    fmax = sr / 2 if fmax is None else fmax
    fft_freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mel_pts = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_pts)
    ramps = mel_pts[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_pts[2 : n_mels + 2] - mel_pts[:n_mels])
    return (weights * enorm[:, None]).astype(np.float32)


class LogMelFrontEnd(nn.Module):
    """(B, L) -> (B, 1, n_mels, T): |STFT|^2 (Hann), mel filters, 10*log10(max(., floor)), BN per mel bin."""

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 512,
        hop_length: int = 160,
        n_mels: int = 128,
        fmin: float = 0.0,
        fmax: float | None = None,
        log_floor: float = 1e-10,
    ) -> None:
        super().__init__()
        self.n_fft, self.hop_length, self.log_floor = n_fft, hop_length, log_floor
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.register_buffer("mel", torch.from_numpy(mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax)), persistent=False)
        self.bn = nn.BatchNorm2d(n_mels)
        self.out_channels = n_mels

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(
            wave, self.n_fft, self.hop_length, window=self.window, center=True, pad_mode="reflect", return_complex=True
        )
        power = spec.real**2 + spec.imag**2  # (B, F, T)
        mel = torch.matmul(self.mel, power)  # (B, M, T)
        logmel = 10.0 * torch.log10(mel.clamp_min(self.log_floor))
        x = self.bn(logmel.unsqueeze(-1)).squeeze(-1)  # BN over mel bins (PANNs' bn0)
        return x.unsqueeze(1)
