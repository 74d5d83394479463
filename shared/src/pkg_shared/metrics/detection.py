"""Pedestrian-detection curves: FPPI vs miss rate and the log-average miss rate (MR^-2).

The per-image matching rules of each benchmark (Caltech ignore regions, CityPersons) live in the
detection package; this module turns matched, scored detections into the curve and the score.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np

#: FPPI reference points 10^(-2 + 0.25 k), k = 0..8 (Dollar's toolbox, exact powers).
FPPI_POINTS_EXACT = 10.0 ** (-2.0 + 0.25 * np.arange(9))
#: The rounded values hard-coded in the CityPersons Python evaluation script.
FPPI_POINTS_ROUNDED = np.array([0.0100, 0.0178, 0.0316, 0.0562, 0.1000, 0.1778, 0.3162, 0.5623, 1.0000])


def roc_curve(scores: np.ndarray, is_tp: np.ndarray, num_gt: int, num_images: int) -> tuple[np.ndarray, np.ndarray]:
    """(FPPI, recall) after each detection in decreasing score order (stable for ties).

    ``is_tp`` marks matched detections; ignored detections must already be removed.
    """
    scores = np.asarray(scores, dtype=np.float64)
    is_tp = np.asarray(is_tp, dtype=bool)
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(is_tp[order])
    fp = np.cumsum(~is_tp[order])
    fppi = fp / max(num_images, 1)
    recall = tp / num_gt if num_gt > 0 else np.zeros_like(tp, dtype=np.float64)
    return fppi.astype(np.float64), recall.astype(np.float64)


def recall_at_fppi(
    fppi: np.ndarray,
    recall: np.ndarray,
    points: np.ndarray = FPPI_POINTS_EXACT,
    empty: Literal["zero", "last"] = "zero",
) -> np.ndarray:
    """Recall at the last curve point whose FPPI <= each reference point.

    ``empty="zero"``: no such point gives recall 0 (MATLAB toolbox); ``"last"``: Python's index -1
    quirk of the CityPersons script, which then takes the final recall.
    """
    fppi = np.asarray(fppi, dtype=np.float64)
    recall = np.asarray(recall, dtype=np.float64)
    out = np.zeros(len(points))
    for k, p in enumerate(points):
        idx = int(np.searchsorted(fppi, p, side="right")) - 1
        if idx >= 0:
            out[k] = recall[idx]
        elif empty == "last" and len(recall):
            out[k] = recall[-1]
    return out


def log_average_miss_rate(recall_points: np.ndarray) -> float:
    """exp(mean ln(1 - recall)); a zero miss rate makes the result 0 (toolbox behaviour, warned)."""
    miss = 1.0 - np.asarray(recall_points, dtype=np.float64)
    if (miss <= 0).any():
        warnings.warn("a miss rate of 0 at some FPPI point makes MR^-2 exactly 0", RuntimeWarning, stacklevel=2)
        return 0.0
    return float(np.exp(np.mean(np.log(miss))))
