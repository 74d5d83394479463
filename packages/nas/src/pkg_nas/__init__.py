"""Layer-assignment NAS by neural-inheritance-guided one-shot search (AAAI 2020), with a layer-assignment architecture dataset"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pkg-nas")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0"
