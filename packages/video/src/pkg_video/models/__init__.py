"""Model builders: an explicit table of the paper's variants (no string registry beyond this dict)."""

from __future__ import annotations

import dataclasses
import re

import torch
from torch import nn

from pkg_shared.errors import ConfigError, DataFormatError
from pkg_video.config import ModelConfig
from pkg_video.models.cost_conv import CoSTConv, fold_cost
from pkg_video.models.resnet3d import MASK_R50, MASK_R101, STAGE_BLOCKS, ClsHead, Recognizer3d, ResNet3d

# name -> (depth, block type of the selected blocks, stem, mask name)
ARCHS: dict[str, tuple[int, str, str, str]] = {
    "c2d_r50": (50, "c2d", "8f", "official"),
    "c3d_r50": (50, "c3d", "8f", "official"),  # I3D-style: 3x1x1 conv1 + 1x3x3 conv2 (official code)
    "c3d_full_r50": (50, "c3d_full", "8f", "official"),  # literal C3D: 3x3x3 conv2 (ours)
    "costa_r50": (50, "costa", "8f", "official"),
    "costb_r50": (50, "costb", "8f", "official"),
    "c2d_r101": (101, "c2d", "8f", "official"),
    "costa_r101": (101, "costa", "8f", "official"),
    "costb_r101": (101, "costb", "8f", "official"),
    "costb_r101_32f": (101, "costb", "32f", "official"),
    # ablations (ours)
    "cost_noshare_r50": (50, "cost_noshare", "8f", "official"),
    "cost_avg_r50": (50, "cost_avg", "8f", "official"),
    "cost_concat_r50": (50, "cost_concat", "8f", "official"),
    "cost_all_blocks_r50": (50, "costa", "8f", "all"),
}

__all__ = ["ARCHS", "CoSTConv", "build_model", "fold_cost", "load_imagenet_2d", "cost_layers"]


def resolve(cfg: ModelConfig) -> ModelConfig:
    """Fill the ``None`` fields of ``cfg`` from its ``arch`` entry."""
    if cfg.arch not in ARCHS:
        raise ConfigError(f"model.arch: unknown architecture {cfg.arch!r}; choose one of {sorted(ARCHS)}")
    depth, conv, stem, mask = ARCHS[cfg.arch]
    depth = cfg.depth or depth
    if depth not in STAGE_BLOCKS:
        raise ConfigError(f"model.depth: expected 50 or 101, got {depth}")
    blocks = list(cfg.stage_blocks or STAGE_BLOCKS[depth])
    selected = cfg.selected
    if selected is None:
        if cfg.stage_blocks is not None or mask == "all":
            # tiny models: alternate 1,0,1,... per stage ("all" selects every block)
            selected = [[1 if (mask == "all" or j % 2 == 0) else 0 for j in range(n)] for n in blocks]
        else:
            selected = [list(m) for m in (MASK_R50 if depth == 50 else MASK_R101)]
    return dataclasses.replace(cfg, depth=depth, conv=cfg.conv or conv, stem=cfg.stem or stem,
                               stage_blocks=blocks, selected=[list(m) for m in selected])


def build_model(cfg: ModelConfig) -> Recognizer3d:
    """The recognizer of ``cfg``; loads 2-D ImageNet weights when ``cfg.pretrained`` is set."""
    r = resolve(cfg)
    try:
        backbone = ResNet3d(r.stage_blocks, r.selected, r.conv, stem=r.stem, width=r.width,
                            coef_scope=r.coef_scope, cost_impl=r.cost_impl, temporal_pool=r.temporal_pool)
    except ValueError as exc:
        raise ConfigError(f"model: {exc}") from exc
    model = Recognizer3d(backbone, ClsHead(backbone.out_channels, r.num_classes, r.dropout, r.head_init_std))
    if r.pretrained:
        from pkg_video.engine.checkpoint import read_checkpoint

        state = read_checkpoint(r.pretrained)
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise DataFormatError(r.pretrained, "not a state dict of tensors (expected a torchvision ResNet "
                                  "state_dict saved with torch.save)")
        load_imagenet_2d(model, state, source=r.pretrained)
    return model


def cost_layers(model: nn.Module) -> list[tuple[str, CoSTConv]]:
    """(name, module) of every CoST layer in network order, names like ``layer3.0``."""
    out = []
    for name, m in model.named_modules():
        if isinstance(m, CoSTConv):
            out.append((name.replace("backbone.", "").replace(".conv2.conv", ""), m))
    return out


_TV = re.compile(r"^(layer\d+\.\d+)\.(conv|bn)(\d)\.(.+)$")
_TV_DS = re.compile(r"^(layer\d+\.\d+)\.downsample\.(0|1)\.(.+)$")


def _tv_to_ours(key: str) -> list[str]:
    """torchvision ResNet key -> our key(s) (a non-shared CoST kernel receives the weight three times)."""
    if key.startswith("fc."):
        return []
    if key.startswith("conv1."):
        return ["backbone.conv1.conv." + key[6:]]
    if key.startswith("bn1."):
        return ["backbone.conv1.bn." + key[4:]]
    m = _TV.match(key)
    if m:
        blk, kind, idx, rest = m.groups()
        return [f"backbone.{blk}.conv{idx}.{'conv' if kind == 'conv' else 'bn'}.{rest}"]
    m = _TV_DS.match(key)
    if m:
        blk, idx, rest = m.groups()
        return [f"backbone.{blk}.downsample.{'conv' if idx == '0' else 'bn'}.{rest}"]
    return [key]


@torch.no_grad()
def load_imagenet_2d(model: nn.Module, state: dict[str, torch.Tensor], source: str = "state dict") -> int:
    """Copy a 2-D torchvision ResNet into the 3-D net.

    1xkxk kernels (and CoST kernels) get the 2-D weight as is; txkxk kernels (I3D conv1, 32f stem,
    3x3x3 C3D) get it repeated along t and divided by t. CoST alpha / FC1 / FC2 and the classifier
    keep their own initialisation. Returns the number of tensors copied.
    """
    own = model.state_dict()
    copied = 0
    for key, src in state.items():
        for tgt in _tv_to_ours(key):
            targets = [tgt]
            if tgt.endswith("conv2.conv.weight") and tgt.replace("conv2.conv.weight", "conv2.conv.weight_tw") in own:
                targets += [tgt.replace(".weight", ".weight_tw"), tgt.replace(".weight", ".weight_th")]
            for t in targets:
                if t not in own:
                    raise DataFormatError(source, f"tensor {key!r} has no counterpart ({t!r}) in the 3-D network")
                dst = own[t]
                if src.dim() == 4 and dst.dim() == 5:
                    k = dst.shape[2]
                    val = src.unsqueeze(2).repeat(1, 1, k, 1, 1) / k
                else:
                    val = src
                if val.shape != dst.shape:
                    raise DataFormatError(source, f"tensor {key!r} has shape {tuple(src.shape)}, {t} needs {tuple(dst.shape)}")
                dst.copy_(val)
                copied += 1
    return copied
