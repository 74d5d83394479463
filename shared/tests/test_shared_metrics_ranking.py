import math

import numpy as np
import pytest
import torch

from pkg_shared.metrics.classification import confusion_matrix, mean_class_accuracy, topk_accuracy
from pkg_shared.metrics.ranking import average_precision, d_prime, multilabel_summary, roc_auc

sk = pytest.importorskip("sklearn.metrics")


def test_ap_hand_computed():
    # ranking: pos, neg, pos -> precision at hits 1 and 2/3 -> AP = (1 + 2/3) / 2
    y = np.array([1, 0, 1])
    s = np.array([0.9, 0.8, 0.7])
    assert average_precision(y, s)[0] == pytest.approx((1 + 2 / 3) / 2)


def test_ap_ties_form_one_threshold():
    # scores tie for a pos and a neg at the top: one threshold with precision 1/2, recall 1/2
    y = np.array([1, 0, 1, 0])
    s = np.array([0.5, 0.5, 0.4, 0.1])
    # thresholds: 0.5 -> P=1/2, R=1/2 ; 0.4 -> P=2/3, R=1
    assert average_precision(y, s)[0] == pytest.approx(0.5 * 0.5 + 0.5 * 2 / 3)


def test_matches_sklearn_on_random_data_with_ties():
    rng = np.random.default_rng(0)
    y = (rng.random((300, 7)) < 0.2).astype(int)
    s = np.round(rng.random((300, 7)), 2)  # many ties
    ap = average_precision(y, s)
    auc = roc_auc(y, s)
    for k in range(7):
        assert ap[k] == pytest.approx(sk.average_precision_score(y[:, k], s[:, k]), abs=1e-9)
        assert auc[k] == pytest.approx(sk.roc_auc_score(y[:, k], s[:, k]), abs=1e-9)


def test_class_without_positives_is_excluded():
    y = np.array([[1, 0], [0, 0], [1, 0]])
    s = np.array([[0.9, 0.1], [0.2, 0.3], [0.8, 0.5]])
    out = multilabel_summary(y, s)
    assert out["n_classes_evaluated"] == 1 and out["n_classes_excluded"] == 1
    assert math.isnan(out["ap_per_class"][1])
    assert out["mAP"] == pytest.approx(1.0)
    strict = multilabel_summary(y, s, strict_sklearn=True)
    assert strict["mAP"] == pytest.approx(0.5)


def test_d_prime_from_mean_auc():
    # Phi^-1(0.8413447460685429) == 1  =>  d' = sqrt(2)
    assert d_prime(0.8413447460685429) == pytest.approx(math.sqrt(2), rel=1e-9)
    assert d_prime(0.5) == pytest.approx(0.0)
    assert math.isinf(d_prime(1.0))


def test_topk_accuracy_hand():
    logits = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5]])
    target = torch.tensor([1, 2, 0])
    acc = topk_accuracy(logits, target, ks=(1, 2, 3))
    assert acc[1] == pytest.approx(1 / 3)
    assert acc[2] == pytest.approx(1 / 3)  # row 2: top-2 = {2, 1}; row 1: top-2 = {0, 1 or 2}
    assert acc[3] == pytest.approx(1.0)


def test_confusion_and_mean_class_accuracy():
    m = confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], 3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert mean_class_accuracy([0, 1, 1, 2], [0, 1, 2, 2], 3) == pytest.approx((1 + 1 + 0.5) / 3)


def test_topk_ties_go_to_the_lower_index():
    logits = torch.zeros(1, 200)
    assert topk_accuracy(logits, torch.tensor([0]), ks=(1,))[1] == 1.0
    assert topk_accuracy(logits, torch.tensor([1]), ks=(1,))[1] == 0.0
    assert topk_accuracy(logits, torch.tensor([4]), ks=(5,))[5] == 1.0
    assert topk_accuracy(logits, torch.tensor([5]), ks=(5,))[5] == 0.0
