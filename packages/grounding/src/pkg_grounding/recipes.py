"""Shipped YAML recipes (``configs/*.yaml``), found by name (see ``pkg_shared.config.resolve_recipe``)."""

from __future__ import annotations

import pathlib

from pkg_shared import config as _config


def recipe_names() -> list[str]:
    return _config.recipe_names("pkg_grounding")


def resolve_recipe(value: str | pathlib.Path | None) -> pathlib.Path | None:
    """A path as given, or the shipped recipe of that name (with or without ``.yaml``)."""
    return _config.resolve_recipe(value, "pkg_grounding")
