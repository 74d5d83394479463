"""The reference AudioSet numbers: per-class AP (scikit-learn's non-interpolated definition),
per-class ROC AUC, mAP / mAUC as macro means, d' = sqrt(2) * Phi^-1(mAUC) (from the *mean* AUC,
the reference code's quirk; the mean of per-class d' is reported beside it).

Classes without positives: AP and AUC are nan and excluded (``n_classes_evaluated`` says how many
remain), unless ``strict_sklearn`` which counts AP = 0 for them like scikit-learn does.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence

import numpy as np

from pkg_shared.fsutil import atomic_write_text
from pkg_shared.metrics.ranking import multilabel_summary


def evaluate_scores(targets: np.ndarray, scores: np.ndarray, strict_sklearn: bool = False) -> dict:
    """JSON-ready summary; per-class arrays kept under ``ap_per_class`` / ``auc_per_class``."""
    s = multilabel_summary(np.asarray(targets), np.asarray(scores, dtype=np.float64), strict_sklearn=strict_sklearn)
    # nan (nothing to average) and +-inf (d' of an AUC of exactly 1 or 0) become null: JSON has neither
    out = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in s.items()}
    out["convention"] = {
        "AP": "sklearn average_precision_score per class (tied scores = one threshold), macro mean",
        "dprime": "sqrt(2)*Phi^-1(mean AUC) as in the AudioSet reference code",
        "dprime_mean_per_class": "mean over classes of sqrt(2)*Phi^-1(AUC_k) (peer convention)",
        "no_positive_classes": "counted as AP=0 (sklearn)" if strict_sklearn else "excluded (nan)",
        "null": "a mean that is not finite: no class to average, or d' of a class with AUC exactly 0 or 1",
    }
    out["n_clips"] = int(np.asarray(targets).shape[0])
    return out


def fmt(value: float | None, spec: str = ".3f") -> str:
    """A metric for a log line: ``n/a`` where the JSON has null (not finite)."""
    return "n/a" if value is None else format(value, spec)


def write_per_class_csv(path: str | os.PathLike[str], mids: Sequence[str], names: Sequence[str],
                        targets: np.ndarray, ap: np.ndarray, auc: np.ndarray) -> None:
    """``index, mid, display_name, n_pos, AP, AUC`` (nan for classes without positives)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["index", "mid", "display_name", "n_pos", "AP", "AUC"])
    npos = (np.asarray(targets) > 0).sum(axis=0)
    for i, (m, n) in enumerate(zip(mids, names)):
        w.writerow([i, m, n, int(npos[i]), f"{ap[i]:.6f}", f"{auc[i]:.6f}"])
    atomic_write_text(path, buf.getvalue())
