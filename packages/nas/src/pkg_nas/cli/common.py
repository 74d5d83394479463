"""Helpers shared by the console scripts: recipe lookup, config loading, JSON output."""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from importlib import resources

from pkg_nas.config import RunConfig
from pkg_shared.cli import config_from_args
from pkg_shared.errors import ConfigError
from pkg_shared.fsutil import atomic_write_json


def recipes() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("pkg_nas.configs").iterdir() if p.name.endswith(".yaml"))


def resolve_recipe(value: str | pathlib.Path | None) -> pathlib.Path | None:
    """A YAML path, or the name of a recipe shipped in ``pkg_nas/configs`` (with or without .yaml)."""
    if value is None:
        return None
    p = pathlib.Path(value)
    if p.is_file():
        return p
    name = p.name[:-5] if p.name.endswith(".yaml") else p.name
    cand = resources.files("pkg_nas.configs") / f"{name}.yaml"
    if len(p.parts) == 1 and cand.is_file():
        return pathlib.Path(str(cand))
    raise ConfigError(f"{value}: config file not found (shipped recipes: {', '.join(recipes())})")


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
