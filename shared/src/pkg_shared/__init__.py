"""Shared building blocks for the paper packages: I/O, metrics, ops and training utilities.

Subpackages are imported on demand (``pkg_shared.io.video`` pulls decord only when used, and
importing ``pkg_shared`` itself does not import torch, so ``--help`` stays fast).
"""

from importlib.metadata import PackageNotFoundError, version

from pkg_shared.errors import ConfigError, DataFormatError, PkgError

try:
    __version__ = version("pkg-shared")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["ConfigError", "DataFormatError", "PkgError", "__version__", "seed_everything"]


def __getattr__(name: str):
    if name == "seed_everything":
        from pkg_shared.engine.seed import seed_everything

        return seed_everything
    raise AttributeError(f"module 'pkg_shared' has no attribute {name!r}")
