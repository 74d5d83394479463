"""Frame-index sampling on decoded frame indices (MMAction2 ``SampleFrames`` semantics).

Train: one window of ``clip_len * frame_interval`` frames at a random start (0.24.1 rule).
Test: ``num_clips`` starts by the 0.24.1 rule (``int(k*avg + avg/2)``) or the 1.x rule
(evenly spread, ``np.round``). Indices past the end wrap ("loop") or repeat the last frame.
"""

from __future__ import annotations

import numpy as np


def _bound(idx: np.ndarray, num_frames: int, mode: str) -> list[int]:
    if mode == "loop":
        idx = np.mod(idx, num_frames)
    elif mode == "repeat_last":
        idx = np.minimum(idx, num_frames - 1)
    else:
        raise ValueError(f"unknown out_of_bound option {mode!r}")
    return [int(i) for i in idx]


def clip_frames(start: int, num_frames: int, clip_len: int, interval: int, mode: str = "loop") -> list[int]:
    return _bound(start + np.arange(clip_len) * interval, num_frames, mode)


def train_start(num_frames: int, clip_len: int, interval: int, rng: np.random.Generator) -> int:
    """0.24.1, one clip: uniform in {0..n-L} when n >= L (L = clip_len*interval), else 0."""
    window = clip_len * interval
    avg = num_frames - window + 1
    return int(rng.integers(avg)) if avg > 0 else 0


def multi_clip_starts(num_frames: int, clip_len: int, interval: int, num_clips: int, rule: str = "mmaction024") -> list[int]:
    """Start frame of each test clip."""
    if rule == "mmaction024":
        window = clip_len * interval
        if num_frames < window:
            return [0] * num_clips
        avg = (num_frames - window + 1) / float(num_clips)
        return [int(k * avg + avg / 2.0) for k in range(num_clips)]
    if rule == "mmaction1x":
        max_offset = max(num_frames - ((clip_len - 1) * interval + 1), 0)
        if num_clips == 1:
            return [max_offset // 2]
        between = max_offset / float(num_clips - 1)
        return [int(v) for v in np.round(np.arange(num_clips) * between)]
    raise ValueError(f"unknown test sampling rule {rule!r}")


def val_start(num_frames: int, clip_len: int, interval: int, rule: str = "mmaction024") -> int:
    """1-clip validation: the single test clip of the rule (the centre of the valid range)."""
    return multi_clip_starts(num_frames, clip_len, interval, 1, rule)[0]
