"""LITM: multi-stage incremental triplet margin."""
