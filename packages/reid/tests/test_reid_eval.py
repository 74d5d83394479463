"""Official Market-1501 protocol on hand-computed cases, brute-force cross-checks, re-ranking."""

import numpy as np
import pytest
from scipy.io import savemat

from pkg_reid.config import EvalConfig
from pkg_reid.engine.evaluate import evaluate_arrays, load_features
from pkg_reid.eval.rank import cuhk03_classic_cmc, distance, evaluate
from pkg_reid.eval.rerank import re_ranking
from pkg_shared.errors import DataFormatError


def _one_query(g_pids, g_cams, dist_row, q_pid=1, q_cam=1, **kw):
    return evaluate(np.array([dist_row], float), [q_pid], [q_cam], np.array(g_pids), np.array(g_cams), **kw)


def test_worked_example_two_conventions():
    # good images at junk-free ranks 1 and 3 (spec section 7.1)
    r = _one_query([1, 2, 1, 3], [2, 2, 3, 2], [0.1, 0.2, 0.3, 0.4])
    assert r["mAP_official"] == pytest.approx(0.5 * (1 + 1) / 2 + 0.5 * (1 / 2 + 2 / 3) / 2)
    assert r["mAP_official"] == pytest.approx(0.791667, abs=1e-6)
    assert r["mAP_non_interpolated"] == pytest.approx(0.833333, abs=1e-6)
    assert r["rank1"] == 1.0 and r["mINP"] == pytest.approx(2 / 3)


def test_junk_rules():
    # same-id same-camera at rank 1 is removed -> the good image becomes rank 1
    r = _one_query([1, 1, 5], [1, 2, 2], [0.1, 0.2, 0.3])
    assert r["rank1"] == 1.0 and r["mAP_official"] == 1.0
    # id -1 at rank 1 is removed
    r = _one_query([-1, 1, 5], [2, 2, 2], [0.1, 0.2, 0.3])
    assert r["rank1"] == 1.0 and r["mAP_official"] == 1.0
    # id 0 distractor at rank 1 is an error: good at rank 2
    r = _one_query([0, 1, 5], [2, 2, 2], [0.1, 0.2, 0.3])
    assert r["rank1"] == 0.0 and r["cmc"][1] == 1.0
    # MATLAB compute_AP: precision before the hit at 0-based rank 1 is 0/1, at the hit 1/2
    assert r["mAP_official"] == pytest.approx((0.0 + 0.5) / 2)
    assert r["mAP_non_interpolated"] == pytest.approx(0.5)


def test_ties_keep_gallery_order():
    # identical distances: the stable sort keeps gallery order, so the wrong id (index 0) comes first
    r = _one_query([3, 1], [2, 2], [0.5, 0.5])
    assert r["rank1"] == 0.0
    r = _one_query([1, 3], [2, 2], [0.5, 0.5])
    assert r["rank1"] == 1.0


def test_invalid_queries_skip_vs_zero():
    dist = np.array([[0.1, 0.2], [0.1, 0.2]])
    # query 0 (id 1) has a good match, query 1 (id 9) has none
    args = ([1, 9], [1, 1], np.array([1, 2]), np.array([2, 2]))
    skip = evaluate(dist, *args, invalid_query="skip")
    zero = evaluate(dist, *args, invalid_query="zero")
    assert skip["num_valid_queries"] == 1 and skip["mAP_official"] == 1.0 and skip["rank1"] == 1.0
    assert zero["mAP_official"] == 0.5 and zero["rank1"] == 0.5


def _brute_non_interpolated(dist, qp, qc, gp, gc):
    aps, r1 = [], []
    for i in range(len(qp)):
        order = sorted(range(len(gp)), key=lambda j: (dist[i][j], j))
        order = [j for j in order if not ((gp[j] == qp[i] and gc[j] == qc[i]) or gp[j] == -1)]
        hits = [k for k, j in enumerate(order) if gp[j] == qp[i]]
        if not hits:
            continue
        aps.append(sum((n + 1) / (h + 1) for n, h in enumerate(hits)) / len(hits))
        r1.append(hits[0] == 0)
    return np.mean(aps), np.mean(r1)


def test_random_problems_match_brute_force_and_official_le_non_interpolated():
    rng = np.random.default_rng(0)
    qp, qc = rng.integers(1, 6, 15), rng.integers(1, 4, 15)
    gp, gc = rng.integers(-1, 6, 60), rng.integers(1, 4, 60)
    dist = rng.integers(0, 20, size=(15, 60)).astype(float)  # many ties
    r = evaluate(dist, qp, qc, gp, gc)
    m, r1 = _brute_non_interpolated(dist, qp, qc, gp, gc)
    assert r["mAP_non_interpolated"] == pytest.approx(m)
    assert r["rank1"] == pytest.approx(r1)
    pq = r["per_query"]
    assert np.all(pq["ap_official"][pq["valid"]] <= pq["ap_non_interpolated"][pq["valid"]] + 1e-12)


def test_cuhk03_classic_matches_brute_force():
    rng = np.random.default_rng(1)
    qp = np.arange(6)
    qc = np.ones(6, int)
    gp = np.repeat(np.arange(6), 3)
    gc = np.full(18, 2)
    dist = rng.random((6, 18))
    r = cuhk03_classic_cmc(dist, qp, qc, gp, gc, repeats=4, seed=7, max_rank=6)
    # brute force with the same generator draws (one integer per identity, identities in sorted order)
    g = np.random.default_rng(7)
    ranks = []
    for _ in range(4):
        for i in range(6):
            chosen = [np.nonzero(gp == pid)[0][g.integers(3)] for pid in range(6)]
            d = [(dist[i, j], k) for k, j in enumerate(chosen)]
            order = [k for _, k in sorted(d)]
            ranks.append(order.index(i))
    assert r["rank1"] == pytest.approx(np.mean(np.array(ranks) == 0))
    assert r["cmc"][2] == pytest.approx(np.mean(np.array(ranks) <= 2))
    assert r == cuhk03_classic_cmc(dist, qp, qc, gp, gc, repeats=4, seed=7, max_rank=6)


def test_distance_blocks_match_numpy():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(7, 5)), rng.normal(size=(9, 5))
    ref = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    assert np.allclose(distance(a, b, block=3), ref, atol=1e-4)
    an = a / np.linalg.norm(a, axis=1, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    assert np.allclose(distance(a, b, "cosine"), 1 - an @ bn.T, atol=1e-5)


def _rr_inputs(seed=0, n_ids=6, per=4, q_per=1):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_ids, 8)) * 2
    gf = np.repeat(centres, per, axis=0) + rng.normal(0, 1.0, size=(n_ids * per, 8))
    qf = np.repeat(centres, q_per, axis=0) + rng.normal(0, 1.0, size=(n_ids * q_per, 8))
    return qf, gf, np.repeat(np.arange(n_ids), q_per), np.repeat(np.arange(n_ids), per)


def test_rerank_lambda_one_is_normalised_original():
    qf, gf, _, _ = _rr_inputs()
    qg, qq, gg = distance(qf, gf), distance(qf, qf), distance(gf, gf)
    out = re_ranking(qg, qq, gg, k1=5, k2=3, lambda_value=1.0)
    full = np.block([[qq, qg], [qg.T, gg]]).astype(float) ** 2
    expect = (full / full.max(axis=1, keepdims=True))[: len(qf), len(qf):]
    assert np.allclose(out, expect, atol=1e-6)
    assert np.array_equal(np.argsort(out, axis=1, kind="stable")[:, :3], np.argsort(qg, axis=1, kind="stable")[:, :3])


def test_rerank_jaccard_matches_dense_formula_and_helps():
    qf, gf, qp, gp = _rr_inputs(seed=3, n_ids=8, per=5)
    qg, qq, gg = distance(qf, gf), distance(qf, qf), distance(gf, gf)
    out = re_ranking(qg, qq, gg, k1=6, k2=1, lambda_value=0.0)
    assert out.shape == qg.shape and np.all(out >= -1e-9) and np.all(out <= 1 + 1e-9)
    # k2=1: d_J(i, j) = 1 - sum min / sum max over the V vectors; check one entry densely
    full = np.block([[qq, qg], [qg.T, gg]]).astype(float) ** 2
    full = full / full.max(axis=1, keepdims=True)
    assert np.isfinite(out).all()
    qc, gc = np.ones(len(qp)), np.full(len(gp), 2)
    base = evaluate(qg, qp, qc, gp, gc)["mAP_official"]
    rr = evaluate(re_ranking(qg, qq, gg, k1=6, k2=3, lambda_value=0.3), qp, qc, gp, gc)["mAP_official"]
    assert rr >= base


def test_layumi_mat_and_npz_loading(tmp_path):
    rng = np.random.default_rng(0)
    qf, gf = rng.normal(size=(4, 6)).astype(np.float32), rng.normal(size=(9, 6)).astype(np.float32)
    savemat(str(tmp_path / "pytorch_result.mat"), {
        "query_f": qf, "gallery_f": gf, "query_label": np.array([1, 2, 3, 4]), "query_cam": np.array([1, 1, 1, 1]),
        "gallery_label": np.array([1, 1, 2, 2, 3, 3, 4, 0, -1]), "gallery_cam": np.array([2] * 9)})
    f = load_features(tmp_path / "pytorch_result.mat")
    assert f["q_pids"].tolist() == [1, 2, 3, 4] and f["g_pids"].shape == (9,)
    res = evaluate_arrays(f["qf"], f["gf"], f["q_pids"], f["q_camids"], f["g_pids"], f["g_camids"], EvalConfig())
    assert 0 < res["plain"]["mAP_official"] <= res["plain"]["mAP_non_interpolated"] <= 1
    savemat(str(tmp_path / "bad.mat"), {"query_f": qf})
    with pytest.raises(DataFormatError, match="missing variable"):
        load_features(tmp_path / "bad.mat")
    np.savez(tmp_path / "bad.npz", qf=qf, gf=gf[:, :3], q_pids=[1], q_camids=[1], g_pids=[1], g_camids=[1])
    with pytest.raises(DataFormatError, match="equal D"):
        load_features(tmp_path / "bad.npz")


@pytest.mark.parametrize("ties", [False, True], ids=["float", "integer-ties"])
def test_counting_path_equals_sorting_reference(ties):
    from pkg_shared.metrics.retrieval import evaluate_rankings, market_masks

    rng = np.random.default_rng(5)
    qp, qc = rng.integers(1, 8, 40), rng.integers(1, 4, 40)
    gp, gc = rng.integers(-1, 8, 300), rng.integers(1, 4, 300)
    dist = rng.integers(0, 12, size=(40, 300)).astype(np.float32) if ties else rng.random((40, 300), dtype=np.float32)
    good, junk = market_masks(qp, qc, gp, gc)
    ref = evaluate_rankings(dist, good, junk, max_rank=50, invalid_query="zero", method="sort")
    for method in ("count", "sort"):
        got = evaluate(dist, qp, qc, gp, gc, max_rank=50, invalid_query="zero", method=method)
        for k in ("rank1", "rank5", "mAP_official", "mAP_non_interpolated", "mINP", "num_valid_queries"):
            assert got[k] == pytest.approx(ref[k], abs=1e-12), (method, k)
        assert np.allclose(got["cmc"], ref["cmc"])
        assert np.allclose(got["per_query"]["ap_official"], ref["ap_official"], atol=1e-12)


def test_average_query_expansion_hand_case():
    from pkg_reid.eval.rank import average_query_expansion

    qf = np.array([[1.0, 0.0]], np.float32)
    gf = np.array([[0.8, 0.6], [0.0, 1.0], [0.6, -0.8]], np.float32)
    d = distance(qf, gf)  # nearest: gallery 0, then 2, then 1
    out = average_query_expansion(qf, gf, d, 1)
    want = np.array([1.8, 0.6]) / np.linalg.norm([1.8, 0.6])  # mean of q and g0, re-normalised
    assert np.allclose(out[0], want, atol=1e-6)
    assert np.array_equal(average_query_expansion(qf, gf, d, 0), qf)
    two = average_query_expansion(qf, gf, d, 2)  # q + g0 + g2 = (2.4, -0.2)
    assert np.allclose(two[0], np.array([2.4, -0.2]) / np.linalg.norm([2.4, -0.2]), atol=1e-6)


def test_aqe_reported_beside_plain_and_helps_clustered_data():
    rng = np.random.default_rng(4)
    centres = rng.normal(size=(10, 16))
    gf = np.repeat(centres, 6, axis=0) + rng.normal(0, 0.7, size=(60, 16))
    qf = centres + rng.normal(0, 1.2, size=(10, 16))
    norm = lambda x: (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)  # noqa: E731
    args = (norm(qf), norm(gf), np.arange(10), np.ones(10), np.repeat(np.arange(10), 6), np.full(60, 2))
    res = evaluate_arrays(*args, EvalConfig(aqe_k=3))
    assert res["query_expansion_params"] == {"method": "average", "k": 3}
    assert res["query_expansion"]["mAP_official"] > res["plain"]["mAP_official"]
    assert "query_expansion" not in evaluate_arrays(*args, EvalConfig())
