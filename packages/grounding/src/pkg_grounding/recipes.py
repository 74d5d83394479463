"""Shipped YAML recipes (``configs/*.yaml``), found by name through importlib.resources."""

from __future__ import annotations

import pathlib
from importlib import resources


def recipe_names() -> list[str]:
    root = resources.files("pkg_grounding") / "configs"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def resolve_recipe(value: str | pathlib.Path | None) -> pathlib.Path | None:
    """A path as given, or the shipped recipe of that name (with or without ``.yaml``)."""
    if value is None:
        return None
    p = pathlib.Path(value)
    if p.is_file():
        return p
    name = p.name[:-5] if p.name.endswith(".yaml") else p.name
    if len(p.parts) == 1:
        ref = resources.files("pkg_grounding") / "configs" / f"{name}.yaml"
        if ref.is_file():
            return pathlib.Path(str(ref))
    from pkg_shared.errors import ConfigError

    raise ConfigError(f"config {value}: not a file and not a shipped recipe ({', '.join(recipe_names())})")
