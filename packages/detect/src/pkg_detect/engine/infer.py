"""Inference: image(s) -> maps -> boxes, single-frame or streaming temporal; loading trained runs."""

from __future__ import annotations

import pathlib

import numpy as np
import torch

from pkg_detect.config import DetectConfig, from_run_dict
from pkg_detect.decode import decode
from pkg_detect.models import TLLNet, build_model
from pkg_shared.errors import DataFormatError


def to_tensor(img: np.ndarray, scale: float = 1.0) -> torch.Tensor:
    """HWC uint8 RGB -> (1, 3, H', W') float in [0, 1], resized by ``scale``."""
    if scale != 1.0:
        import cv2

        h, w = img.shape[:2]
        img = cv2.resize(img, (max(int(round(w * scale)), 1), max(int(round(h * scale)), 1)), interpolation=cv2.INTER_LINEAR)
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float().div(255).unsqueeze(0)


def maps_to_numpy(model: TLLNet, out: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    act = model.activate(out)
    return {k: v[0].detach().float().cpu().numpy() for k, v in act.items()}


def boxes_from_maps(maps: dict[str, np.ndarray], image_hw: tuple[int, int], scale: float, cfg: DetectConfig,
                    mrf: bool | None = None) -> np.ndarray:
    """Decode maps of a frame resized by ``scale`` and map boxes back to original pixels."""
    mcfg = cfg.mrf if mrf is None else type(cfg.mrf)(**{**cfg.mrf.__dict__, "enabled": mrf})
    h, w = image_hw
    boxes = decode(maps, (int(round(h * scale)), int(round(w * scale))), cfg.decode, mcfg, cfg.targets.stride)
    boxes[:, :4] /= scale
    return boxes


@torch.no_grad()
def predict(model: TLLNet, img: np.ndarray, cfg: DetectConfig, scale: float | None = None,
            device: torch.device | str = "cpu", mrf: bool | None = None, return_maps: bool = False):
    """Boxes (K, 5) [x, y, w, h, score] of one RGB image (single-frame models)."""
    s = cfg.data.input_scale * cfg.eval.test_scale if scale is None else scale
    model.eval()
    out = model(to_tensor(img, s).to(device))
    maps = maps_to_numpy(model, out)
    boxes = boxes_from_maps(maps, img.shape[:2], s, cfg, mrf)
    return (boxes, maps) if return_maps else boxes


class StreamingDetector:
    """One step per new frame; the temporal state (Conv-LSTM h, c) is carried between calls."""

    def __init__(self, model: TLLNet, cfg: DetectConfig, device="cpu", mrf: bool | None = None) -> None:
        self.model, self.cfg, self.device, self.mrf = model.eval(), cfg, device, mrf
        self.state = None

    def reset(self) -> None:
        self.state = None

    @torch.no_grad()
    def __call__(self, img: np.ndarray) -> np.ndarray:
        s = self.cfg.data.input_scale * self.cfg.eval.test_scale
        out, self.state = self.model.step(to_tensor(img, s).to(self.device), self.state)
        return boxes_from_maps(maps_to_numpy(self.model, out), img.shape[:2], s, self.cfg, self.mrf)


def load_run(run: str | pathlib.Path, device="cpu", ema: bool = True) -> tuple[TLLNet, DetectConfig]:
    """Model and config of a training run folder (``config.yaml`` + ``last.pt``) or a checkpoint file."""
    from pkg_shared.engine import load_checkpoint

    run = pathlib.Path(run)
    ckpt_path = run / "last.pt" if run.is_dir() else run
    if run.is_dir() and not ckpt_path.is_file():
        raise DataFormatError(run, "not a training run (no last.pt)")
    ckpt = load_checkpoint(ckpt_path)
    if "config" not in ckpt or "model" not in ckpt:
        raise DataFormatError(ckpt_path, "checkpoint lacks 'config' or 'model'")
    cfg = from_run_dict(ckpt["config"])
    model = build_model(cfg)
    state = ckpt["ema"] if ema and ckpt.get("ema") else ckpt["model"]
    model.load_state_dict(state)
    return model.to(device).eval(), cfg
