"""AudioSet evaluation (mAP / mAUC / d-prime) — a thin layer over ``pkg_shared.metrics.ranking``."""

from pkg_audio.metrics.audioset import evaluate_scores, fmt, write_per_class_csv

__all__ = ["evaluate_scores", "fmt", "write_per_class_csv"]
