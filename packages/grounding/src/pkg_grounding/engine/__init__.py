"""Training loop, evaluation, inference, feature extraction and export."""
