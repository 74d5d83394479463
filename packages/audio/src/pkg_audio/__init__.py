"""End-to-end audio tagging from raw waveforms (1-D + 2-D ResNets, multi-level attention, mix-training)"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pkg-audio")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0"
