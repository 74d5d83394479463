"""Training loop, evaluation, inference and export."""
