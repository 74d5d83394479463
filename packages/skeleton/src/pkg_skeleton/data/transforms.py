"""Per-sample preprocessing on arrays of shape (M, F, V, C): centring, crop, resize, augmentation."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def valid_length(x: np.ndarray) -> int:
    """Index of the last frame where anybody is present, plus one (0 for an all-zero sequence)."""
    nz = np.flatnonzero(np.abs(x).reshape(x.shape[0], x.shape[1], -1).sum((0, 2)) > 0)
    return int(nz[-1]) + 1 if nz.size else 0


def _rotation_to(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation matrix turning unit direction ``a`` onto ``b`` (Rodrigues)."""
    a = a / (np.linalg.norm(a) + 1e-12)
    b = b / (np.linalg.norm(b) + 1e-12)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if np.linalg.norm(v) < 1e-9:
        if c > 0:
            return np.eye(3)
        axis = np.cross(a, [1.0, 0.0, 0.0])
        if np.linalg.norm(axis) < 1e-6:
            axis = np.cross(a, [0.0, 1.0, 0.0])
        axis /= np.linalg.norm(axis)
        return 2 * np.outer(axis, axis) - np.eye(3)
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k * (1 / (1 + c))


def centre(x: np.ndarray, mode: str, joint: int = 1) -> np.ndarray:
    """Subtract person 0's joint 2 (index 1): per frame, at the first frame, or with a rotation.

    Absent joints (exactly zero) stay zero.
    """
    if mode == "none" or x.shape[1] == 0:
        return x
    x = x.copy()
    present = np.abs(x).sum(-1, keepdims=True) > 0  # (M, F, V, 1)
    if mode == "per_frame_person0_joint2":
        origin = x[0, :, joint][None, :, None, :]  # (1, F, 1, C)
        return np.where(present, x - origin, 0.0).astype(np.float32)
    p0 = np.flatnonzero(np.abs(x[0]).reshape(x.shape[1], -1).sum(1) > 0)
    if p0.size == 0:
        return x
    f0 = int(p0[0])
    origin = x[0, f0, joint]
    x = np.where(present, x - origin, 0.0)
    if mode == "rotate" and x.shape[-1] == 3 and x.shape[2] >= 9:
        r1 = _rotation_to(x[0, f0, 1] - x[0, f0, 0], np.array([0.0, 0.0, 1.0]))
        x = x @ r1.T
        sh = x[0, f0, 4] - x[0, f0, 8]  # right shoulder (9) -> left shoulder (5)
        ang = math.atan2(sh[1], sh[0])
        cz, sz = math.cos(-ang), math.sin(-ang)
        r2 = np.array([[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]])
        x = np.where(present, x @ r2.T, 0.0)
    return x.astype(np.float32)


def crop_window(length: int, train: bool, rng: np.random.Generator | None, crop_min: float, crop_max: float,
                min_frames: int, test_crop: float) -> tuple[int, int]:
    """(start, size) of the temporal crop inside the valid ``length`` frames."""
    if length <= 1:
        return 0, max(length, 1)
    if train:
        p = rng.uniform(crop_min, crop_max) if rng is not None else crop_max
        size = int(math.floor(length * p))
        size = min(max(size, min(length, min_frames), 1), length)
        start = int(rng.integers(0, length - size + 1)) if rng is not None else (length - size) // 2
        return start, size
    size = max(int(math.floor(length * test_crop)), 1)
    return (length - size) // 2, size


def test_windows(length: int, clips: int, test_crop: float) -> list[tuple[int, int]]:
    """(start, size) of the ``clips`` test crops: one centre crop, or ``clips`` crops of the same size
    (``floor(length * test_crop)``) whose starts are spread evenly from the first to the last frame."""
    if clips <= 1 or length <= 1:
        return [crop_window(length, False, None, 1.0, 1.0, 0, test_crop)]
    size = max(int(math.floor(length * test_crop)), 1)
    return [(int(round(k * (length - size) / (clips - 1))), size) for k in range(clips)]


def resize_time(x: np.ndarray | torch.Tensor, frames: int) -> torch.Tensor:
    """Linear interpolation of every coordinate along time (align_corners=False); (M,F,V,C) -> (M,T,V,C)."""
    t = torch.as_tensor(np.ascontiguousarray(x) if isinstance(x, np.ndarray) else x, dtype=torch.float32)
    m, f, v, c = t.shape
    flat = t.permute(0, 2, 3, 1).reshape(1, m * v * c, f)
    out = F.interpolate(flat, size=frames, mode="linear", align_corners=False)
    return out.reshape(m, v, c, frames).permute(0, 3, 1, 2).contiguous()


def random_rotate_scale(x: torch.Tensor, rng: np.random.Generator, rot_deg: float, scale: float) -> torch.Tensor:
    """Rotation about the vertical (y) axis and isotropic scaling; zero joints stay zero."""
    if rot_deg <= 0 and scale <= 0:
        return x
    ang = math.radians(rng.uniform(-rot_deg, rot_deg)) if rot_deg > 0 else 0.0
    s = 1.0 + (rng.uniform(-scale, scale) if scale > 0 else 0.0)
    c, si = math.cos(ang), math.sin(ang)
    r = torch.tensor([[c, 0.0, si], [0.0, 1.0, 0.0], [-si, 0.0, c]], dtype=x.dtype) * s
    return x @ r.T if x.shape[-1] == 3 else x * s


def to_model_layout(x: torch.Tensor) -> torch.Tensor:
    """(M, T, V, C) -> (C, T, V, M), the layout of ST-GCN/HCN-pytorch and of our models."""
    return x.permute(3, 1, 2, 0).contiguous()
