"""Helpers shared by the console scripts: recipe lookup by name, device, logging."""

from __future__ import annotations

import argparse
import importlib.resources
import pathlib

from pkg_shared.cli import config_from_args
from pkg_shared.errors import ConfigError
from pkg_skeleton.config import RecognitionConfig


def recipe_names() -> list[str]:
    root = importlib.resources.files("pkg_skeleton.configs")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def resolve_recipe(value: pathlib.Path | None) -> pathlib.Path | None:
    """A path, or the name of a recipe shipped in the package (with or without ``.yaml``)."""
    if value is None or value.is_file():
        return value
    name = value.name[:-5] if value.name.endswith(".yaml") else value.name
    res = importlib.resources.files("pkg_skeleton.configs").joinpath(f"{name}.yaml")
    if str(value) == value.name and res.is_file():
        return pathlib.Path(str(res))
    raise ConfigError(f"{value}: no such file, and not a shipped recipe ({', '.join(recipe_names())})")


def load_recipe(args: argparse.Namespace) -> RecognitionConfig:
    args.config = resolve_recipe(getattr(args, "config", None))
    return config_from_args(RecognitionConfig, args)
