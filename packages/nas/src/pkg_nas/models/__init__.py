"""Model builders. ``FAMILIES`` is the explicit name -> block class map (no string registry)."""

from pkg_nas.models.blocks import BLOCKS as FAMILIES
from pkg_nas.models.family import StagedNet, build_network
from pkg_nas.models.supernet import Supernet, default_supernet_blocks

__all__ = ["FAMILIES", "StagedNet", "Supernet", "build_network", "default_supernet_blocks"]
