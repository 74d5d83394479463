"""Helpers shared by the console scripts: recipe lookup, config loading, JSON output."""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

from pkg_nas.config import RunConfig
from pkg_shared.cli import config_from_args
from pkg_shared.config import recipe_names
from pkg_shared.config import resolve_recipe as _resolve_recipe
from pkg_shared.fsutil import atomic_write_json


def recipes() -> list[str]:
    return recipe_names("pkg_nas")


def resolve_recipe(value: str | pathlib.Path | None) -> pathlib.Path | None:
    """A YAML path, or the name of a recipe shipped in ``pkg_nas/configs`` (with or without .yaml)."""
    return _resolve_recipe(value, "pkg_nas")


def load_run_config(args: argparse.Namespace) -> RunConfig:
    args.config = resolve_recipe(getattr(args, "config", None))
    return config_from_args(RunConfig, args)


def emit_json(obj, out: pathlib.Path | None) -> None:
    """JSON to ``out`` (atomically) or to stdout."""
    if out is None:
        sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")
    else:
        atomic_write_json(out, obj)
        print(f"wrote {out}", file=sys.stderr)


EPILOG = "Shipped recipes: " + ", ".join(recipes())
