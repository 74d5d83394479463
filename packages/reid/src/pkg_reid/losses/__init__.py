"""Losses: batch-hard triplet family (``triplet``) and the optional identity loss (``id_loss``)."""

from pkg_reid.losses.id_loss import id_loss
from pkg_reid.losses.triplet import TripletStats, distance_matrix, triplet_loss

__all__ = ["TripletStats", "distance_matrix", "id_loss", "triplet_loss"]
