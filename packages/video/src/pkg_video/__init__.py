"""CoST collaborative spatiotemporal convolutions for video action recognition (CVPR 2019)"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pkg-video")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0"
