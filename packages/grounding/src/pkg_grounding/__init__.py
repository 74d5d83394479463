"""ASST: attentive sequence-to-sequence translator for localizing video moments by natural language (DiDeMo, Charades-STA)"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pkg-grounding")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0"
