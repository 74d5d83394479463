"""Tagging of any audio file: decode, resample, mono; sliding windows for long files (spec 7)."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import torch
from torch import nn

from pkg_audio.config import AudioConfig, InferConfig
from pkg_audio.data.audio_io import decode, pad_or_crop
from pkg_shared.errors import DataFormatError


@dataclasses.dataclass
class TagResult:
    clip_scores: np.ndarray  # (K,)
    window_scores: np.ndarray  # (W, K)
    window_starts: np.ndarray  # (W,) seconds
    frame_map: np.ndarray | None  # (K, frames) attention x classifier of the finest level
    frame_hop_s: float
    duration_s: float


def windows(n: int, length: int, hop: int) -> list[int]:
    """Start samples of windows covering ``n`` samples; the last one is zero-padded."""
    if n <= length:
        return [0]
    starts = list(range(0, n - length + 1, hop))
    if starts[-1] + length < n:
        starts.append(starts[-1] + hop)
    return starts


@torch.no_grad()
def tag_wave(model: nn.Module, wave: np.ndarray, cfg: AudioConfig, icfg: InferConfig | None = None,
             device: torch.device | str = "cpu", batch_size: int = 8, amp: str = "off") -> TagResult:
    """Sliding windows over ``wave``; ``amp`` = bf16/fp16 runs the forward under autocast."""
    from pkg_audio.engine.runtime import autocast

    icfg = icfg or cfg.infer
    sr = cfg.data.sample_rate
    length = int(round(cfg.data.clip_seconds * sr))
    hop = max(1, int(round(icfg.hop_seconds * sr)))
    starts = windows(len(wave), length, hop)
    model.eval()
    scores, maps = [], []
    for b in range(0, len(starts), batch_size):
        chunk = np.stack([pad_or_crop(wave[s:], length) for s in starts[b : b + batch_size]])
        with autocast(amp, torch.device(device)):
            out = model(torch.from_numpy(chunk).to(device))
        scores.append(out["clipwise"].float().cpu().numpy())
        if out.get("att"):
            maps.append((out["att"][0] * out["cla"][0]).float().cpu().numpy())  # finest listed level
    win = np.concatenate(scores)
    clip = win.max(axis=0) if icfg.agg == "max" else win.mean(axis=0)
    frame_map, frame_hop = None, 0.0
    if maps:
        m = np.concatenate(maps)  # (W, K, T')
        t_per = m.shape[-1]
        frame_hop = cfg.data.clip_seconds / t_per
        total = int(np.ceil(len(wave) / sr / frame_hop))
        acc = np.zeros((m.shape[1], max(total, t_per)), dtype=np.float32)
        for w, s in enumerate(starts):
            o = int(round(s / sr / frame_hop))
            seg = m[w][:, : max(0, min(t_per, acc.shape[1] - o))]
            acc[:, o : o + seg.shape[1]] = np.maximum(acc[:, o : o + seg.shape[1]], seg)
        frame_map = acc[:, :total] if total else acc
    return TagResult(clip, win, np.asarray(starts) / sr, frame_map, frame_hop, len(wave) / sr)


def tag_file(model: nn.Module, path: str | os.PathLike[str], cfg: AudioConfig, icfg: InferConfig | None = None,
             device: torch.device | str = "cpu", amp: str = "off") -> TagResult:
    wave = decode(path, cfg.data.sample_rate, cfg.data.resample)
    if len(wave) < cfg.data.sample_rate // 100:
        raise DataFormatError(path, f"audio is too short ({len(wave)} samples after resampling)")
    return tag_wave(model, wave, cfg, icfg, device, amp=amp)


def top_classes(scores: np.ndarray, names: list[str], mids: list[str], k: int) -> list[dict]:
    order = np.argsort(-scores, kind="stable")[:k]
    return [{"index": int(i), "mid": mids[i], "name": names[i], "score": float(scores[i])} for i in order]


def write_windows_csv(path: str | os.PathLike[str], result: TagResult, names: list[str], window_s: float) -> None:
    """The per-window table of spec 7: ``start_s, end_s`` then one probability column per class."""
    import csv
    import io

    from pkg_shared.fsutil import atomic_write_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["start_s", "end_s", *names])
    for start, row in zip(result.window_starts, result.window_scores):
        end = min(start + window_s, result.duration_s)
        w.writerow([f"{start:.3f}", f"{end:.3f}", *(f"{v:.5f}" for v in row)])
    atomic_write_text(path, buf.getvalue())


def write_frames_csv(path: str | os.PathLike[str], result: TagResult, names: list[str]) -> None:
    """``time_s`` then one column per class: the sound-event-detection view of the finest level."""
    import csv
    import io

    from pkg_shared.fsutil import atomic_write_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["time_s", *names])
    assert result.frame_map is not None
    for t in range(result.frame_map.shape[1]):
        w.writerow([f"{t * result.frame_hop_s:.3f}", *(f"{v:.5f}" for v in result.frame_map[:, t])])
    atomic_write_text(path, buf.getvalue())
