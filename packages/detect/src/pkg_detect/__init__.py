"""Small-scale pedestrian detection: TLL topological lines, Conv-LSTM temporal aggregation, MRF, Caltech/CityPersons evaluators"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pkg-detect")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0"
