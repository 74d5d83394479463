"""Efficient CNNs: Sparse Shift Layer / FE-Net, LDRF neuron pruning, filter group approximation"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pkg-efficient")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0"
