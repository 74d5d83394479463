"""Feature extraction from raw videos into the same HDF5 layout the readers take (one (F, D) dataset per video).

Frames are decoded with ``pkg_shared.io.video`` (decord, OpenCV fallback) at ``fps`` frames per second.
Backbones (weights only from a local path -- nothing is downloaded):
* ``vgg16_fc7``: torchvision VGG-16, output of the second 4096-d fully connected layer after ReLU
  (the Charades/MCN feature); 224x224, ImageNet normalisation;
* ``resnet50_pool``: torchvision ResNet-50 global-average-pooled 2048-d;
* clip backbones (C3D/I3D-style features, one vector per clip of ``clip_len`` sampled frames, a new
  clip every ``clip_stride`` frames, so ``fps / clip_stride`` features per second): torchvision's
  Kinetics-400 video models ``r3d_18`` / ``mc3_18`` / ``r2plus1d_18`` (512-d, before the classifier)
  and ``s3d`` (1024-d, the I3D-like separable Inception net: global mean of its last feature map),
  each with torchvision's own preprocessing preset for those weights (resize, centre crop, Kinetics
  mean/std); the last clip is padded by repeating the final frame;
* ``tiny_motion``: no weights; an 8x8 RGB thumbnail and its absolute change from the previous
  sampled frame (384-d). For demos and tests on a CPU, not for benchmarks.

The output is written to ``OUT.partial`` and renamed when complete; a re-run skips videos already
in the partial (or the finished) file: resumable, never half-written.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pkg_shared.errors import ConfigError, DataFormatError
from pkg_shared.io.video import VideoReader
from pkg_shared.logging import progress

VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".3gp", ".mpg", ".wmv", ".flv")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CLIP_BACKBONES = {"r3d_18": ("R3D_18_Weights", 512), "mc3_18": ("MC3_18_Weights", 512),
                  "r2plus1d_18": ("R2Plus1D_18_Weights", 512), "s3d": ("S3D_Weights", 1024)}
BACKBONES = ("vgg16_fc7", "resnet50_pool", "tiny_motion", *CLIP_BACKBONES)


class TinyMotion(nn.Module):
    """(T, 3, H, W) uint8 -> (T, 384): thumbnail + |thumbnail - previous thumbnail|."""

    dim = 384

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(frames.float() / 255.0, 8).flatten(1)
        prev = torch.cat([x[:1], x[:-1]], 0)
        return torch.cat([x, (x - prev).abs() * 4.0], 1)


def load_weights(net: nn.Module, weights: str, name: str) -> None:
    """A torchvision state_dict (optionally under 'state_dict') from a local file; errors name the file."""
    path = pathlib.Path(weights)
    if not path.is_file():
        raise DataFormatError(path, "backbone weights not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(state.get("state_dict", state) if isinstance(state, dict) else state)
    except (RuntimeError, KeyError, OSError, AttributeError, TypeError) as exc:
        raise DataFormatError(path, f"not {name} weights ({str(exc).splitlines()[0][:160]})") from exc


class ClipBackbone(nn.Module):
    """(N, L, 3, H, W) uint8 clips -> (N, D): a torchvision video classifier without its last layer."""

    def __init__(self, name: str, weights: str | None, clip_len: int = 16, clip_stride: int = 16) -> None:
        super().__init__()
        import torchvision.models.video as tvv

        if clip_len < 1 or clip_stride < 1:
            raise ConfigError(f"clip_len and clip_stride must be >= 1, got {clip_len}, {clip_stride}")
        enum_name, self.dim = CLIP_BACKBONES[name]
        net = getattr(tvv, name)(weights=None)
        if weights:
            load_weights(net, weights, name)
        if name == "s3d":
            net.avgpool, net.classifier = nn.Identity(), nn.Identity()
        else:
            net.fc = nn.Identity()
        self.name, self.net = name, net.eval()
        self.clip_len, self.clip_stride = clip_len, clip_stride
        self.transform = getattr(tvv, enum_name).KINETICS400_V1.transforms()  # a preset object; no download

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        x = self.transform(clips)  # (N, 3, L, h, w) float, normalised
        if self.name == "s3d":
            return self.net.features(x).mean(dim=(2, 3, 4))
        return self.net(x)


def clip_starts(num: int, clip_len: int, stride: int) -> list[int]:
    """Start indices of the clips over ``num`` sampled frames (at least one clip)."""
    if num <= clip_len:
        return [0]
    return list(range(0, num - clip_len + 1, stride)) + ([] if (num - clip_len) % stride == 0 else
                                                          [((num - clip_len) // stride + 1) * stride])


class TorchvisionBackbone(nn.Module):
    def __init__(self, name: str, weights: str | None) -> None:
        super().__init__()
        import torchvision

        if name == "vgg16_fc7":
            net = torchvision.models.vgg16(weights=None)
            self.dim = 4096
        else:
            net = torchvision.models.resnet50(weights=None)
            self.dim = 2048
        if weights:
            load_weights(net, weights, name)
        if name == "vgg16_fc7":
            net.classifier = net.classifier[:5]  # fc6, relu, dropout, fc7, relu
        else:
            net.fc = nn.Identity()
        self.net = net.eval()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(frames.float() / 255.0, size=(224, 224), mode="bilinear", align_corners=False)
        return self.net((x - self.mean) / self.std)


def build_backbone(name: str, weights: str | None = None, clip_len: int = 16, clip_stride: int = 16) -> nn.Module:
    if name == "tiny_motion":
        return TinyMotion()
    if name in ("vgg16_fc7", "resnet50_pool") or name in CLIP_BACKBONES:
        if not weights:
            raise ConfigError(f"backbone {name} needs --weights PATH (a torchvision state_dict .pth); "
                              "nothing is downloaded")
        if name in CLIP_BACKBONES:
            return ClipBackbone(name, weights, clip_len, clip_stride)
        return TorchvisionBackbone(name, weights)
    raise ConfigError(f"unknown backbone {name!r}; choose from {', '.join(BACKBONES)}")


def feature_rate(backbone: nn.Module, fps: float) -> float:
    """Features per second written for frames sampled at ``fps``."""
    return fps / backbone.clip_stride if isinstance(backbone, ClipBackbone) else fps


def sample_indices(num_frames: int, native_fps: float, fps: float) -> list[int]:
    """Frame indices at ``fps`` per second (every frame when the video is slower)."""
    if native_fps <= 0 or fps <= 0 or fps >= native_fps:
        return list(range(num_frames))
    n = max(1, int(np.floor(num_frames / native_fps * fps)))
    return [min(num_frames - 1, int(round(i * native_fps / fps))) for i in range(n)]


@torch.no_grad()
def video_features(path: str | os.PathLike[str], backbone: nn.Module, fps: float, device: torch.device,
                   batch: int = 32) -> tuple[np.ndarray, float]:
    """(F, D) features of one video at ``fps`` and the video duration in seconds."""
    vr = VideoReader(path)
    idx = sample_indices(vr.info.num_frames, vr.info.fps, fps)
    if isinstance(backbone, TinyMotion):  # the change feature needs continuity across batches
        return backbone(vr.get_frames(idx, layout="tchw")).numpy(), vr.info.duration
    out = []
    if isinstance(backbone, ClipBackbone):
        n, L = len(idx), backbone.clip_len
        starts = clip_starts(n, L, backbone.clip_stride)
        per = max(1, batch // L)  # clips per forward
        for s in range(0, len(starts), per):
            group = starts[s : s + per]
            want = [idx[min(a + j, n - 1)] for a in group for j in range(L)]  # pad with the last frame
            frames = vr.get_frames(want, layout="tchw")
            clips = frames.reshape(len(group), L, *frames.shape[1:]).to(device)
            out.append(backbone(clips).float().cpu())
        return torch.cat(out).numpy(), vr.info.duration
    for s in range(0, len(idx), batch):
        frames = vr.get_frames(idx[s : s + batch], layout="tchw").to(device)
        out.append(backbone(frames).float().cpu())
    return torch.cat(out).numpy(), vr.info.duration


def list_videos(folder: str | os.PathLike[str]) -> list[pathlib.Path]:
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise DataFormatError(folder, "video folder not found")
    vids = sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_EXTS)
    if not vids:
        raise DataFormatError(folder, f"no video files ({', '.join(VIDEO_EXTS)})")
    return vids


def extract_folder(videos: Sequence[pathlib.Path], out: str | os.PathLike[str], backbone: nn.Module, fps: float,
                   device: torch.device, key: Callable[[pathlib.Path], str] = lambda p: p.stem,
                   on_error: str = "skip", show_progress: bool = True) -> dict:
    """Write ``out`` (HDF5, dataset per video id); resumable through ``out.partial``."""
    import h5py

    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    done, failed = 0, []
    if out.is_file() and not partial.exists():  # add to an existing file: keep what it has
        import shutil

        shutil.copy2(out, partial)
    backbone = backbone.to(device)
    with h5py.File(partial, "a") as h5:
        h5.attrs["fps"] = fps
        h5.attrs["feature_rate"] = feature_rate(backbone, fps)
        todo = [v for v in videos if key(v) not in h5]
        it = progress(todo, desc="extract", unit="video") if show_progress else todo
        for v in it:
            try:
                feats, duration = video_features(v, backbone, fps, device)
            except DataFormatError as exc:
                if on_error == "error":
                    raise
                failed.append(f"{v.name}: {exc.problem}")
                continue
            ds = h5.create_dataset(key(v), data=feats.astype(np.float32))
            ds.attrs["duration"] = duration
            done += 1
            h5.flush()
    os.replace(partial, out)
    return {"extracted": done, "skipped_existing": len(videos) - done - len(failed), "failed": failed,
            "out": str(out), "feature_rate": feature_rate(backbone, fps)}
