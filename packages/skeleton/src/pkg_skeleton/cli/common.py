"""Helpers shared by the console scripts: recipe lookup by name, device, logging."""

from __future__ import annotations

import argparse
import pathlib

from pkg_shared import config as _shared_config
from pkg_shared.cli import config_from_args
from pkg_skeleton.config import RecognitionConfig


def recipe_names() -> list[str]:
    return _shared_config.recipe_names("pkg_skeleton")


def resolve_recipe(value: pathlib.Path | None) -> pathlib.Path | None:
    """A path, or the name of a recipe shipped in the package (with or without ``.yaml``)."""
    return _shared_config.resolve_recipe(value, "pkg_skeleton")


def load_recipe(args: argparse.Namespace) -> RecognitionConfig:
    args.config = resolve_recipe(getattr(args, "config", None))
    return config_from_args(RecognitionConfig, args)
