"""Metrics on hand-computed cases and against a naive loop."""

import numpy as np

from pkg_video import metrics

SCORES = np.array([
    [0.5, 0.3, 0.2, 0.0],   # label 0: top-1 hit
    [0.1, 0.2, 0.3, 0.4],   # label 1: ranks 3rd
    [0.25, 0.25, 0.5, 0.0],  # label 1: tie with class 0 at rank 2 -> lower index (0) first, so rank 3
    [0.0, 0.0, 0.0, 1.0],   # label 2: predicted 3 (a class with no ground truth)
])
LABELS = np.array([0, 1, 1, 2])


def test_topk_hand_computed():
    acc = metrics.topk_accuracy(SCORES, LABELS, (1, 2, 3))
    # top-1: only row 0 -> 1/4; top-2: row 0 only (row 2: order 2,0,1) -> 1/4; top-3: rows 0,1,2 -> 3/4
    assert acc == {1: 0.25, 2: 0.25, 3: 0.75}


def test_mean_class_accuracy_default_and_mmaction():
    # predictions: 0, 3, 2, 3. Per class recall: c0 1/1, c1 0/2, c2 0/1; c3 has no ground truth.
    assert np.isclose(metrics.mean_class_accuracy(SCORES, LABELS), (1 + 0 + 0) / 3)
    # MMAction2: classes = union(pred, labels) = {0,1,2,3}; c3 counts 0 -> 1/4
    assert np.isclose(metrics.mean_class_accuracy(SCORES, LABELS, mmaction_compat=True), 1 / 4)


def test_mit_challenge_score():
    acc = metrics.topk_accuracy(SCORES, LABELS, (1, 5))
    assert np.isclose(metrics.mit_challenge_score(SCORES, LABELS), ((1 - 0.25) + (1 - acc[5])) / 2)
    assert acc[5] == 1.0


def test_topk_matches_naive_loop():
    rng = np.random.default_rng(0)
    s = rng.random((50, 7))
    y = rng.integers(0, 7, 50)
    for k in (1, 3, 5):
        naive = np.mean([y[i] in sorted(range(7), key=lambda c: (-s[i, c], c))[:k] for i in range(50)])
        assert np.isclose(metrics.topk_accuracy(s, y, (k,))[k], naive)
