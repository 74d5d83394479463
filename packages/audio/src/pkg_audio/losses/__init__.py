"""Losses: binary cross-entropy for multi-label tagging (spec 4)."""

from pkg_audio.losses.bce import tagging_loss

__all__ = ["tagging_loss"]
