"""Bits every console script shares: recipe lookup, checkpoint -> model, logging set-up."""

from __future__ import annotations

import argparse
import pathlib

import torch

from pkg_grounding.config import GroundingConfig
from pkg_grounding.data.vocab import Vocab
from pkg_grounding.models import build_model
from pkg_grounding.recipes import resolve_recipe
from pkg_shared.config import from_dict, load_config
from pkg_shared.engine import load_checkpoint
from pkg_shared.errors import DataFormatError


def load_cfg(args: argparse.Namespace) -> GroundingConfig:
    cfg = load_config(GroundingConfig, resolve_recipe(args.config), args.overrides)
    if getattr(args, "print_config", False):
        from pkg_shared.config import dump_yaml

        print(dump_yaml(cfg), end="")
        raise SystemExit(0)
    return cfg


def load_model(checkpoint: str | pathlib.Path, device: torch.device = torch.device("cpu")):
    """(model in eval mode, config, vocab) from a checkpoint written by grounding-train."""
    ck = load_checkpoint(checkpoint)
    for key in ("model", "config", "vocab"):
        if key not in ck:
            raise DataFormatError(checkpoint, f"not a grounding checkpoint (no '{key}' entry)")
    cfg = from_dict(GroundingConfig, ck["config"])
    vocab = Vocab(ck["vocab"][2:])
    model = build_model(cfg.model)
    model.load_state_dict(ck["model"])
    return model.to(device).eval(), cfg, vocab
