"""Training loop, inference and evaluation drivers."""
