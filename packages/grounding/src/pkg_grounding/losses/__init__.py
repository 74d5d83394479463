"""Losses (formula in each docstring)."""

from pkg_grounding.losses.boundary import asst_loss

__all__ = ["asst_loss"]
