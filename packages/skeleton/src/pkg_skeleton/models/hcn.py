"""HCN: hierarchical co-occurrence network (Li et al., IJCAI 2018) and its ablation variants.

Layout of the input: ``x`` is (N, C, T, V, M) = batch, coordinates, frames, joints, persons.
Per person and stream: point-level convs (conv1 1x1, conv2 3x1 over time), then the *transpose*
that turns joints into channels so conv3 aggregates all joints at once (global co-occurrence).
ReLU only after conv1, conv5, conv6 and fc7, as in the paper's figure (conv2-4 are linear).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pkg_skeleton.config import ModelConfig

# (child, parent) pairs, 1-based, NTU-25 Kinect v2 order (2s-AGCN / CTR-GCN); joint 21 is the root.
NTU_BONES: tuple[tuple[int, int], ...] = (
    (1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9),
    (11, 10), (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18),
    (20, 19), (22, 23), (23, 8), (24, 25), (25, 12),
)

ARCH_STREAMS: dict[str, tuple[str, ...]] = {
    "hcn": ("point", "motion"),
    "hcn_local": ("point", "motion"),
    "hcn_point": ("point",),
    "hcn_motion": ("motion",),
    "hcn_wide": ("point", "motion"),
    "hcn_plus": ("point", "motion", "bone"),
}


def temporal_difference(x: torch.Tensor, mode: str = "interp") -> torch.Tensor:
    """Motion input: ``x[t+1] - x[t]`` (T-1 frames) brought back to T frames; x is (N, C, T, V, M)."""
    d = x[:, :, 1:] - x[:, :, :-1]
    t = x.shape[2]
    if mode == "interp":
        n, c, t1, v, m = d.shape
        flat = d.permute(0, 1, 3, 4, 2).reshape(n, c * v * m, t1)
        flat = F.interpolate(flat, size=t, mode="linear", align_corners=False)
        return flat.reshape(n, c, v, m, t).permute(0, 1, 4, 2, 3)
    if mode == "pad_zero_end":
        return torch.cat([d, torch.zeros_like(x[:, :, :1])], dim=2)
    if mode == "pad_repeat_last":
        return torch.cat([d, d[:, :, -1:]], dim=2)
    raise ValueError(f"unknown motion_resize {mode!r}")


def bone_vectors(x: torch.Tensor, pairs=NTU_BONES) -> torch.Tensor:
    """``bone_j = x_child - x_parent`` along the joint axis (dim 3); the root bone stays zero."""
    out = torch.zeros_like(x)
    child = torch.tensor([c - 1 for c, _ in pairs], device=x.device)
    parent = torch.tensor([p - 1 for _, p in pairs], device=x.device)
    out[:, :, :, child] = x[:, :, :, child] - x[:, :, :, parent]
    return out


class Stream(nn.Module):
    """conv1..conv4 of one input stream (point, motion or bone); weights shared by persons."""

    def __init__(self, in_channels: int, num_joints: int, dropout: float, transpose: bool = True) -> None:
        super().__init__()
        self.transpose = transpose
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=1), nn.ReLU())
        self.conv2 = nn.Conv2d(64, 32, kernel_size=(3, 1), padding=(1, 0))
        self.conv3 = nn.Sequential(
            nn.Conv2d(num_joints if transpose else 32, 32, kernel_size=3, padding=1), nn.MaxPool2d(2)
        )
        self.conv4 = nn.Sequential(
            nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.Dropout2d(dropout), nn.MaxPool2d(2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N', C, T, V)
        x = self.conv2(self.conv1(x))
        if self.transpose:  # (C, T, V) -> (V, T, C): joints become channels
            x = x.permute(0, 3, 2, 1).contiguous()
        return self.conv4(self.conv3(x))


class HCN(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.streams_used = ARCH_STREAMS[cfg.arch]
        transpose = cfg.arch != "hcn_local"
        if "bone" in self.streams_used and cfg.num_joints != 25:
            raise ValueError("the bone stream needs the 25-joint NTU layout (model.num_joints=25)")
        early = cfg.person_fusion == "early"
        in_ch = cfg.in_channels * (cfg.num_persons if early else 1)
        self.streams = nn.ModuleDict(
            {s: Stream(in_ch, cfg.num_joints, cfg.dropout, transpose) for s in self.streams_used}
        )
        c5_in = 64 * len(self.streams_used)
        self.conv5 = nn.Sequential(
            nn.Conv2d(c5_in, 128, 3, padding=1), nn.ReLU(), nn.Dropout2d(cfg.dropout), nn.MaxPool2d(2)
        )
        self.conv6 = nn.Sequential(
            nn.Conv2d(128, 256, 3, padding=1), nn.ReLU(), nn.Dropout2d(cfg.dropout), nn.MaxPool2d(2)
        )
        width = 32 if transpose else cfg.num_joints
        for _ in range(4):
            width //= 2
        if width < 1:
            raise ValueError(f"hcn_local needs at least 16 joints (got {cfg.num_joints})")
        self.feat_dim = 256 * (cfg.frames // 16) * width
        persons_in = cfg.num_persons if cfg.person_fusion == "concat" else 1
        fc7_in = self.feat_dim * (persons_in if cfg.fusion_point == "conv6" else 1)
        self.fc7 = nn.Sequential(nn.Linear(fc7_in, cfg.fc7_dim), nn.ReLU(), nn.Dropout(cfg.dropout))
        fc8_in = cfg.fc7_dim * (persons_in if cfg.fusion_point == "fc7" else 1)
        self.fc8 = nn.Linear(fc8_in, cfg.num_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform weights, zero biases (HCN-pytorch)."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def _inputs(self, x: torch.Tensor, motion: torch.Tensor | None) -> dict[str, torch.Tensor]:
        out = {}
        for s in self.streams_used:
            if s == "point":
                out[s] = x
            elif s == "motion":
                out[s] = motion if motion is not None else temporal_difference(x, self.cfg.motion_resize)
            else:
                out[s] = bone_vectors(x)
        return out

    def _fuse(self, f: torch.Tensor, present: torch.Tensor | None) -> torch.Tensor:
        """Merge per-person features f (N, M, D) into (N, D') by max / mean / concat."""
        mode = self.cfg.person_fusion
        if mode in ("concat", "early"):
            return f.flatten(1)
        if present is None:
            return f.amax(dim=1) if mode == "max" else f.mean(dim=1)
        # absent persons drop out; a sample with nobody present keeps all persons
        keep = present | ~present.any(dim=1, keepdim=True)
        if mode == "max":
            return f.masked_fill(~keep[:, :, None], float("-inf")).amax(dim=1)
        w = keep.to(f.dtype)[:, :, None]
        return (f * w).sum(1) / w.sum(1)

    def trunk(self, x: torch.Tensor, motion: torch.Tensor | None = None
              ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Streams, concat, conv5, conv6 -> per-person features (N, persons, D) and the presence mask."""
        n, c, t, v, m = x.shape
        present = (x.abs().flatten(1, 3).amax(dim=1) > 0) if self.cfg.mask_absent_person else None
        feats = []
        for name, inp in self._inputs(x, motion).items():
            if self.cfg.person_fusion == "early":  # persons stacked as channels
                inp = inp.permute(0, 4, 1, 2, 3).reshape(n, m * c, t, v)
            else:
                inp = inp.permute(0, 4, 1, 2, 3).reshape(n * m, c, t, v)
            feats.append(self.streams[name](inp))
        h = self.conv6(self.conv5(torch.cat(feats, dim=1)))
        persons = 1 if self.cfg.person_fusion == "early" else m
        return h.reshape(n, persons, -1), present

    def head(self, h: torch.Tensor, present: torch.Tensor | None, fc7: nn.Module, fc8: nn.Module) -> torch.Tensor:
        """Person fusion (at conv6 or after fc7) and the fully connected layers fc7 -> fc8."""
        n, persons, _ = h.shape
        if self.cfg.fusion_point == "conv6":
            return fc8(fc7(self._fuse(h, present)))
        return fc8(self._fuse(fc7(h.reshape(n * persons, -1)).reshape(n, persons, -1), present))

    def forward(self, x: torch.Tensor, motion: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(*self.trunk(x, motion), self.fc7, self.fc8)


class HCNDetector(HCN):
    """Detection milestone 2 with one shared trunk (spec §5.2): the HCN trunk up to conv6 feeds two heads.

    * classification head = HCN's own fc7/fc8 (``num_classes`` = K + 1 with background 0), so the
      module names of a recognition or window-classifier checkpoint map straight onto it;
    * proposal head ``prop_fc7``/``prop_fc8``: 2 actionness logits + 2 boundary deltas (δc, δl).

    ``forward`` returns ``[class logits (K + 1) | actionness (2) | deltas (2)]`` so one tensor
    goes through the training loop, export and the sliding-window code.
    """

    PROPOSAL_OUTPUTS = 4

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__(cfg)
        self.prop_fc7 = nn.Sequential(nn.Linear(self.fc7[0].in_features, cfg.fc7_dim), nn.ReLU(),
                                      nn.Dropout(cfg.dropout))
        self.prop_fc8 = nn.Linear(self.fc8.in_features, self.PROPOSAL_OUTPUTS)
        self.reset_parameters()

    def forward(self, x: torch.Tensor, motion: torch.Tensor | None = None) -> torch.Tensor:
        h, present = self.trunk(x, motion)
        return torch.cat([self.head(h, present, self.fc7, self.fc8),
                          self.head(h, present, self.prop_fc7, self.prop_fc8)], dim=1)


class HeadView(nn.Module):
    """The columns ``[start, stop)`` of a model's output: one head of an :class:`HCNDetector`."""

    def __init__(self, model: nn.Module, start: int, stop: int | None = None) -> None:
        super().__init__()
        self.model, self.start, self.stop = model, start, stop

    def forward(self, x: torch.Tensor, motion: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(x, motion)[:, self.start : self.stop]
