"""Shipped YAML recipes (package data); resolve a name with :func:`recipe_path`."""

from __future__ import annotations

import pathlib

from pkg_shared import config as _shared_config


def available() -> list[str]:
    return _shared_config.recipe_names("pkg_efficient")


def recipe_path(name_or_path: str | pathlib.Path) -> pathlib.Path:
    """A file path as given, or the shipped recipe ``name`` (with or without ``.yaml``)."""
    return _shared_config.resolve_recipe(name_or_path, "pkg_efficient")
