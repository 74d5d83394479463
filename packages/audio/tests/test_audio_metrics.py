"""AudioSet metrics: hand-computed AP/AUC/d', scikit-learn agreement with ties, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pkg_audio.metrics import evaluate_scores, write_per_class_csv


def test_hand_computed_case():
    # class 0: scores 0.9(+) 0.8(-) 0.7(+) 0.1(-): AP = 1*(1/2) + (2/3)*(1/2) = 5/6; AUC = 3/4
    # class 1: ties: 0.5(+) 0.5(-) 0.2(+) 0.2(-): thresholds {0.5: P=1/2,R=1/2}, {0.2: P=1/2,R=1}: AP = 1/2
    #          AUC: pairs (+,-): (0.5,0.5)=1/2, (0.5,0.2)=1, (0.2,0.5)=0, (0.2,0.2)=1/2 -> 2/4 = 1/2
    y = np.array([[1, 1], [0, 0], [1, 1], [0, 0]])
    s = np.array([[0.9, 0.5], [0.8, 0.5], [0.7, 0.2], [0.1, 0.2]])
    r = evaluate_scores(y, s)
    np.testing.assert_allclose(r["ap_per_class"], [5 / 6, 0.5])
    np.testing.assert_allclose(r["auc_per_class"], [0.75, 0.5])
    assert r["mAP"] == pytest.approx((5 / 6 + 0.5) / 2)
    assert r["mAUC"] == pytest.approx(0.625)
    # d' from the MEAN AUC (reference quirk): sqrt(2) * Phi^-1(0.625) = sqrt(2) * 0.318639...
    assert r["dprime"] == pytest.approx(math.sqrt(2) * 0.31863936396437514, rel=1e-9)
    # peer convention: mean of per-class d'
    assert r["dprime_mean_per_class"] == pytest.approx((math.sqrt(2) * 0.6744897501960817 + 0.0) / 2, rel=1e-9)


def test_dprime_sanity_values_from_the_literature():
    # AudioSet papers: AUC 0.959 -> d' ~ 2.46; 0.970 -> ~2.66
    for auc, d in ((0.959, 2.46), (0.970, 2.66)):
        y = np.array([[1], [0]])
        r = evaluate_scores(np.repeat(y, 1, 0), np.array([[0.9], [0.1]]))
        assert r["mAUC"] == 1.0
        from pkg_shared.metrics.ranking import d_prime

        assert d_prime(auc) == pytest.approx(d, abs=0.01)


def test_agrees_with_sklearn_on_random_scores_with_ties():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y = (rng.random((300, 20)) < 0.15).astype(int)
    y[0] = 1  # every class has a positive
    s = np.round(rng.random((300, 20)), 2)  # many ties
    r = evaluate_scores(y, s)
    ap = [sk.average_precision_score(y[:, k], s[:, k]) for k in range(20)]
    auc = [sk.roc_auc_score(y[:, k], s[:, k]) for k in range(20)]
    np.testing.assert_allclose(r["ap_per_class"], ap, rtol=0, atol=1e-9)
    np.testing.assert_allclose(r["auc_per_class"], auc, rtol=0, atol=1e-9)
    assert r["mAP"] == pytest.approx(float(np.mean(ap)), abs=1e-12)


def test_class_without_positives_excluded_or_strict():
    y = np.array([[1, 0], [0, 0], [1, 0]])
    s = np.array([[0.9, 0.3], [0.2, 0.4], [0.6, 0.1]])
    r = evaluate_scores(y, s)
    assert math.isnan(r["ap_per_class"][1]) and math.isnan(r["auc_per_class"][1])
    assert r["n_classes_evaluated"] == 1 and r["n_classes_excluded"] == 1 and r["mAP"] == 1.0
    strict = evaluate_scores(y, s, strict_sklearn=True)
    assert strict["mAP"] == 0.5 and strict["n_classes_evaluated"] == 2
    sk = pytest.importorskip("sklearn.metrics")
    with pytest.warns(Warning):
        ref = [sk.average_precision_score(y[:, k], s[:, k]) for k in range(2)]
    assert strict["mAP"] == pytest.approx(float(np.mean(ref)))
    assert "excluded" in r["convention"]["no_positive_classes"]


def test_per_class_csv(tmp_path):
    y = np.array([[1, 0], [0, 1]])
    write_per_class_csv(tmp_path / "pc.csv", ["/m/a", "/m/b"], ["A, x", "B"], y, np.array([1.0, np.nan]), np.array([0.5, 0.25]))
    lines = (tmp_path / "pc.csv").read_text().splitlines()
    assert lines[0] == "index,mid,display_name,n_pos,AP,AUC"
    assert lines[1] == '0,/m/a,"A, x",1,1.000000,0.500000' and lines[2].endswith(",nan,0.250000")


def test_json_output_is_strict_json_when_a_class_is_perfect():
    """AUC exactly 1 gives d' = inf for that class; the summary must still be valid JSON (null)."""
    import json

    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=np.float32)
    s = np.array([[0.9, 0.2], [0.1, 0.6], [0.8, 0.4], [0.2, 0.5]])
    res = evaluate_scores(y, s)
    assert res["mAUC"] == pytest.approx((1.0 + 0.75) / 2)  # class 1: 3 of 4 pos/neg pairs ordered
    assert res["dprime_mean_per_class"] is None and res["dprime"] > 0
    json.dumps({k: v for k, v in res.items() if k not in ("ap_per_class", "auc_per_class")}, allow_nan=False)
