"""Helpers shared by the console scripts (recipe lookup, checkpoint + config merge, JSON output)."""

from __future__ import annotations

import argparse
import json
import sys

from pkg_shared.cli import config_from_args
from pkg_shared.errors import ConfigError, PkgError
from pkg_shared.fsutil import atomic_write_json
from pkg_video.config import Config, recipe_path


def resolve_recipe(args: argparse.Namespace) -> None:
    """``--config costb_r50_k400`` may name a shipped recipe instead of a path."""
    if getattr(args, "config", None) is not None:
        args.config = recipe_path(str(args.config))
        if not args.config.is_file():
            from pkg_video.config import list_recipes

            raise ConfigError(f"{args.config}: config file not found and not a shipped recipe "
                              f"({', '.join(list_recipes())})")


def config(args: argparse.Namespace, base: Config | None = None) -> Config:
    resolve_recipe(args)
    return config_from_args(Config, args, base=base)  # a YAML syntax error is already one line (file:line)


def emit_json(obj: dict, out: str | None) -> None:
    """JSON to ``out`` (atomic) or to stdout."""
    if out:
        atomic_write_json(out, obj)
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(json.dumps(obj, indent=2) + "\n")


def check_min(args: argparse.Namespace, **minimum: float) -> None:
    """One-line error for an option below its minimum (``--topk 0``, ``--workers -1``); None = unset."""
    for name, lo in minimum.items():
        v = getattr(args, name, None)
        if v is not None and v < lo:
            raise PkgError(f"--{name.replace('_', '-')} must be >= {lo:g}, got {v:g}")


def check_outputs(*, dirs=(), files=()) -> None:
    """Before any work: an output folder must not be an existing file, an output file not a folder."""
    import pathlib

    for d in dirs:
        if d is not None and pathlib.Path(d).exists() and not pathlib.Path(d).is_dir():
            raise PkgError(f"{d}: is a file; this output is a folder (give a folder name)")
    for f in files:
        if f is not None and pathlib.Path(f).is_dir():
            raise PkgError(f"{f}: is a folder; this output is a file (give a file name)")
