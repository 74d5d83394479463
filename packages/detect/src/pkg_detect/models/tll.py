"""TLLNet: trunk -> fusion neck -> (optional temporal aggregation) -> T/B/L heads at stride 4.

Single-frame input (B, 3, H, W); temporal input (B, T, 3, H, W) with the target frame last.
Inputs are zero-padded on the right/bottom to a multiple of 16 so all taps align; the output maps
cover the padded frame (ceil(H/16)*4 rows), which is harmless for decoding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pkg_detect.config import ModelConfig
from pkg_detect.models.backbone import ResNet50Trunk, TinyTrunk
from pkg_detect.models.convlstm import ConvLSTM
from pkg_detect.models.heads import TLLHeads
from pkg_detect.models.neck import FusionNeck

#: ImageNet normalisation applied inside the model (inputs are RGB floats in [0, 1]).
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def pad_to_multiple(x: torch.Tensor, m: int = 16) -> torch.Tensor:
    h, w = x.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph))
    return x


class TLLNet(nn.Module):
    def __init__(self, cfg: ModelConfig = ModelConfig(), vertex_logits: bool = False) -> None:
        super().__init__()
        self.cfg = cfg
        if cfg.backbone == "resnet50":
            self.trunk: nn.Module = ResNet50Trunk(cfg.dilate_res5, cfg.weights)
        else:
            self.trunk = TinyTrunk(tuple(cfg.tiny_widths))
        self.neck = FusionNeck(self.trunk.out_channels, self.trunk.strides, cfg.neck_channels,
                               cfg.fusion_norm, cfg.fuse_conv)
        head_in = self.neck.out_channels
        self.temporal = cfg.temporal_mode
        if cfg.temporal_mode != "none":
            self.reduce = nn.Sequential(nn.Conv2d(head_in, cfg.temporal_channels, 1), nn.ReLU(inplace=True))
            head_in = cfg.temporal_channels
            if cfg.temporal_mode == "convlstm":
                self.lstm = ConvLSTM(cfg.temporal_channels, cfg.temporal_channels, cfg.temporal_kernel)
        self.heads = TLLHeads(head_in, cfg.line_channels, vertex_logits)
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1), persistent=False)

    # -- pieces -----------------------------------------------------------------------------
    def frame_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1] -> fused stride-4 features (reduced when temporal)."""
        x = pad_to_multiple((x - self.mean) / self.std, 16)
        f = self.neck(self.trunk(x))
        if self.temporal != "none":
            f = self.reduce(f)
        return f

    def _down(self, f: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(f, 2) if self.cfg.temporal_stride == 8 else f

    def _up(self, h: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        if self.cfg.temporal_stride == 8:
            return F.interpolate(h, size=like.shape[-2:], mode="bilinear", align_corners=False)
        return h

    # -- forward ----------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, all_steps: bool = False) -> dict[str, torch.Tensor]:
        """Raw head outputs; for a clip, of the last frame (or every frame with ``all_steps``)."""
        if x.dim() == 4:
            if self.temporal != "none":
                x = x.unsqueeze(1)
            else:
                return self.heads(self.frame_features(x))
        b, t = x.shape[:2]
        feats = self.frame_features(x.flatten(0, 1))
        feats = feats.view(b, t, *feats.shape[1:])
        if self.temporal == "mean":
            return self.heads(feats.mean(dim=1))
        small = self._down(feats.flatten(0, 1))
        hs, _ = self.lstm(small.view(b, t, *small.shape[1:]))
        if all_steps:
            out = self.heads(self._up(hs.flatten(0, 1), feats[:, 0]))
            return {k: v.view(b, t, *v.shape[1:]) for k, v in out.items()}
        return self.heads(self._up(hs[:, -1], feats[:, -1]))

    def step(self, frame: torch.Tensor, state=None):
        """Streaming inference: one new frame (B, 3, H, W) and the carried state -> (outputs, state).

        For ``convlstm`` the state is the LSTM (h, c); for ``mean`` it is the list of the last
        len(window) features; for single-frame models it is unused.
        """
        if self.temporal == "none":
            return self.heads(self.frame_features(frame)), None
        f = self.frame_features(frame)
        if self.temporal == "mean":
            window = (state or [])[-4:] + [f]
            return self.heads(torch.stack(window).mean(0)), window
        h, state = self.lstm.step(self._down(f), state)
        return self.heads(self._up(h, f)), state

    def activate(self, out: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.heads.activate(out)
