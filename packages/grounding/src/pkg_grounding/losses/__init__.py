"""Losses (formula in each docstring)."""

from pkg_grounding.losses.boundary import asst_loss
from pkg_grounding.losses.ranking import mcn_ranking_loss

__all__ = ["asst_loss", "mcn_ranking_loss"]
