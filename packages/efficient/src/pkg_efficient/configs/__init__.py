"""Shipped YAML recipes (package data); resolve a name with :func:`recipe_path`."""

from __future__ import annotations

import importlib.resources
import pathlib


def available() -> list[str]:
    return sorted(p.name[:-5] for p in importlib.resources.files(__name__).iterdir() if p.name.endswith(".yaml"))


def recipe_path(name_or_path: str | pathlib.Path) -> pathlib.Path:
    """A file path as given, or the shipped recipe ``name`` (with or without ``.yaml``)."""
    p = pathlib.Path(name_or_path)
    if p.is_file():
        return p
    name = p.name[:-5] if p.name.endswith(".yaml") else p.name
    res = importlib.resources.files(__name__) / f"{name}.yaml"
    if res.is_file():
        return pathlib.Path(str(res))
    from pkg_shared.errors import ConfigError

    raise ConfigError(f"{name_or_path}: no such file and no shipped recipe of that name (shipped: {', '.join(available())})")
