"""HCN co-occurrence networks for skeleton-based action recognition and detection (NTU RGB+D, SBU, PKU-MMD)"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pkg-skeleton")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0"
