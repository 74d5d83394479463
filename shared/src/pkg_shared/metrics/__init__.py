"""Metrics used by more than one package; each is tested on hand-computed cases.

- :mod:`.classification`: top-k accuracy, confusion matrix.
- :mod:`.ranking`: per-class average precision (scikit-learn convention), ROC AUC, d-prime, mAP.
- :mod:`.retrieval`: CMC, mAP (official trapezoid and non-interpolated), mINP with junk handling.
- :mod:`.temporal`: temporal IoU, temporal NMS, R@n,IoU=m and mIoU.
- :mod:`.detection`: FPPI/miss-rate curves and log-average miss rate.
"""
