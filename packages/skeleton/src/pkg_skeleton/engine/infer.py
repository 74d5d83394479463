"""Inference on one user file: raw NTU ``.skeleton``, PKU-MMD / SBU text, or ``.npy`` (M, F, V, C)."""

from __future__ import annotations

import pathlib

import numpy as np
import torch

from pkg_shared.errors import DataFormatError
from pkg_skeleton.config import RecognitionConfig
from pkg_skeleton.data import ntu, pkummd, sbu, transforms
from pkg_skeleton.data.dataset import prepare
from pkg_skeleton.data.names import class_names


def read_any(path: str | pathlib.Path, cfg: RecognitionConfig) -> np.ndarray:
    """(M, F, V, C) from a file whose format is told by its suffix and shape."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "input file not found")
    m = cfg.model.num_persons
    if path.suffix == ".skeleton":
        seq = ntu.parse_skeleton_file(path)
        if seq.max_bodies == 0:
            raise DataFormatError(path, "no body in any frame")
        if cfg.data.body_select == "denoise":
            return ntu.select_denoise(seq, m)
        return ntu.select_file_order(seq, m)
    if path.suffix == ".npy":
        a = np.load(path)
        if a.ndim != 4:
            raise DataFormatError(path, f"expected an array (M, F, V, C), got shape {a.shape}")
        return a.astype(np.float32)
    if path.suffix == ".txt":
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        if "," in first:
            return sbu.read_skeleton_pos(path, cfg.data.sbu_real_world)
        return pkummd.read_skeleton(path)
    raise DataFormatError(path, "unknown input type (expected .skeleton, .txt or .npy)")


@torch.no_grad()
def infer_file(model, cfg: RecognitionConfig, path, device, topk: int = 5) -> dict:
    a = read_any(path, cfg)
    if a.shape[2] != cfg.model.num_joints or a.shape[3] != cfg.model.in_channels:
        raise DataFormatError(path, f"skeleton has {a.shape[2]} joints x {a.shape[3]} coordinates; the model "
                              f"expects {cfg.model.num_joints} x {cfg.model.in_channels}")
    a = transforms.centre(a, cfg.data.centring)
    clips = [prepare(a, cfg.data, cfg.model.frames, cfg.model.num_persons, False, None, k, cfg.data.test_clips)
             for k in range(cfg.data.test_clips)]
    x = torch.stack([c[0] for c in clips]).to(device)
    motion = torch.stack([c[1] for c in clips]).to(device) if clips[0][1].numel() else None
    model.eval()
    prob = torch.softmax(model(x, motion).float(), 1).mean(0).cpu()  # averaged over the test clips
    k = min(topk, prob.numel())
    val, idx = prob.topk(k)
    names = class_names(cfg.data.dataset, cfg.model.num_classes)
    return {"file": str(path), "frames": int(a.shape[1]), "test_clips": cfg.data.test_clips,
            "top": [{"label": int(i), "name": names[int(i)], "prob": float(v)} for v, i in zip(val, idx)]}
