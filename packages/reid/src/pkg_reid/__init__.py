"""Person re-identification with incremental triplet margin (LITM), multi-level features and global hard identity searching"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pkg-reid")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0"
