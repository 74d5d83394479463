"""Inherited-sampling one-shot search, its baselines, BN recalibration and candidate scoring."""
