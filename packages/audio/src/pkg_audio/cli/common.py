"""Helpers shared by the console scripts (recipe names, checkpoint + data options)."""

from __future__ import annotations

import argparse

from pkg_audio.config import AudioConfig, recipe_names, resolve_recipe
from pkg_shared.cli import config_from_args


def recipe_help() -> str:
    return "a YAML path or a shipped recipe name: " + ", ".join(recipe_names())


def load_cfg(args: argparse.Namespace, extra: list[str] | None = None) -> AudioConfig:
    """``--config`` (path or recipe name) <- ``--set`` overrides <- ``extra`` overrides."""
    args.config = resolve_recipe(args.config) if args.config is not None else None
    args.overrides = list(args.overrides) + list(extra or [])
    return config_from_args(AudioConfig, args)
