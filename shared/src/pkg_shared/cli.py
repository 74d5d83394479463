"""The common shape of every console script.

Every script is ``argparse`` with the same shared options (``--config``, ``--set``, ``--out``,
``--device``, ``--seed``, ``--print-config``) and is wrapped by :func:`entrypoint`, which turns
user-caused errors into one line on stderr and exit status 2 instead of a traceback.
Set ``PKG_DEBUG=1`` to see the traceback anyway.

Example::

    @entrypoint
    def main(argv: list[str] | None = None) -> int:
        parser = make_parser("reid-train", "Train a ReID model.")
        args = parser.parse_args(argv)
        cfg = config_from_args(TrainConfig, args)
        ...
        return 0
"""

from __future__ import annotations

import argparse
import functools
import os
import pathlib
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from pkg_shared.config import dump_yaml, load_config
from pkg_shared.errors import PkgError

T = TypeVar("T")


def make_parser(
    prog: str,
    description: str,
    *,
    config: bool = True,
    out: bool = True,
    device: bool = True,
    seed: bool = True,
    parser: argparse.ArgumentParser | None = None,
) -> argparse.ArgumentParser:
    """An ArgumentParser with the shared options; pass ``parser`` to add them to a subparser."""
    p = parser or argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    if config:
        p.add_argument("--config", type=pathlib.Path, help="YAML recipe (e.g. one of the shipped configs/)")
        p.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override one config value with a dotted key, e.g. --set train.lr=0.01 (repeatable)",
        )
        p.add_argument("--print-config", action="store_true", help="print the merged config as YAML and exit")
    if out:
        p.add_argument("--out", type=pathlib.Path, help="output directory (created if missing)")
    if device:
        p.add_argument("--device", default="auto", help="auto (CUDA if available), cpu, cuda, cuda:1 ...")
    if seed:
        p.add_argument("--seed", type=int, default=None, help="random seed (default: the config's)")
    return p


def config_from_args(cls: type[T], args: argparse.Namespace, base: Any = None) -> T:
    """Defaults <- ``base`` <- ``--config`` <- ``--set`` overrides; prints and exits on ``--print-config``."""
    cfg = load_config(cls, getattr(args, "config", None), getattr(args, "overrides", ()), base=base)
    if getattr(args, "print_config", False):
        sys.stdout.write(dump_yaml(cfg))
        raise SystemExit(0)
    return cfg


def resolve_device(name: str = "auto"):
    """``auto`` -> CUDA when available, else CPU; a clear error for an unavailable device."""
    import torch

    if name in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise PkgError(f"unknown device {name!r} ({exc})") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise PkgError(f"device {name!r} requested but CUDA is not available on this machine")
    return dev


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail once more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout replaced by something without a descriptor
        pass


def entrypoint(fn: Callable[..., int | None] | None = None, *, prog: str | None = None):
    """Wrap a ``main(argv)`` so user errors become ``prog: error: message`` and exit status 2.

    Use as ``@entrypoint`` or ``@entrypoint(prog="reid-train")``; the name printed is ``prog``,
    else the running script's name.
    """
    if fn is None:
        return functools.partial(entrypoint, prog=prog)

    @functools.wraps(fn)
    def wrapper(argv: list[str] | None = None) -> int:
        name = prog or pathlib.Path(sys.argv[0]).name
        try:
            rc = fn(argv)
        except KeyboardInterrupt:
            print(f"{name}: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:  # output piped into `head` and the reader left: not an error of ours
            _silence_stdout()
            return 141  # what a shell reports for a tool killed by SIGPIPE
        except (PkgError, FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError,
                PermissionError) as exc:
            if os.environ.get("PKG_DEBUG"):
                raise
            msg = str(exc)
            if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in msg:
                msg = f"{exc.filename}: {msg}"
            print(f"{name}: error: {msg}", file=sys.stderr)
            return 2
        return int(rc or 0)

    return wrapper
