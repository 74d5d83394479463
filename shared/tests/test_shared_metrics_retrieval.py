import numpy as np
import pytest

from pkg_shared.metrics.retrieval import (
    average_precision_from_hits,
    evaluate_rankings,
    market_masks,
    pairwise_distance_np,
)


def test_worked_example_from_the_reid_spec():
    hits = np.array([0, 2])  # good images at junk-free ranks 1 and 3
    assert average_precision_from_hits(hits, "official") == pytest.approx(0.791667, abs=1e-6)
    assert average_precision_from_hits(hits, "non_interpolated") == pytest.approx(0.833333, abs=1e-6)


def test_junk_rules():
    # query id 5 cam 1; gallery in distance order:
    # [same id same cam (junk), id -1 (junk), id 0 distractor, id 5 cam 2 (good)]
    q_ids, q_cams = np.array([5]), np.array([1])
    g_ids, g_cams = np.array([5, -1, 0, 5]), np.array([1, 2, 3, 2])
    good, junk = market_masks(q_ids, q_cams, g_ids, g_cams)
    assert good.tolist() == [[False, False, False, True]]
    assert junk.tolist() == [[True, True, False, False]]
    dist = np.array([[0.1, 0.2, 0.3, 0.4]])
    r = evaluate_rankings(dist, good, junk, max_rank=3)
    # junk removed -> distractor at rank 1 is an error, good at rank 2
    assert r["cmc"].tolist() == [0.0, 1.0, 1.0]
    assert r["mAP_non_interpolated"] == pytest.approx(0.5)
    assert r["mAP_official"] == pytest.approx((0.0 + 0.5) / 2)  # P_before = 0/1, P_at = 1/2


def test_official_ap_first_hit_not_at_rank0():
    # one good at junk-free position 1: P_at = 1/2, P_before = (1-1)/1 = 0 -> AP = 0.25
    assert average_precision_from_hits(np.array([1]), "official") == pytest.approx(0.25)


def test_ties_keep_gallery_order():
    good = np.array([[False, True]])
    dist = np.array([[0.5, 0.5]])
    r = evaluate_rankings(dist, good, max_rank=2)
    assert r["cmc"].tolist() == [0.0, 1.0]
    good2 = np.array([[True, False]])
    assert evaluate_rankings(dist, good2, max_rank=2)["rank1"] == 1.0


def test_invalid_query_modes():
    dist = np.array([[0.1, 0.2], [0.1, 0.2]])
    good = np.array([[True, False], [False, False]])
    skip = evaluate_rankings(dist, good, max_rank=2, invalid_query="skip")
    zero = evaluate_rankings(dist, good, max_rank=2, invalid_query="zero")
    assert skip["rank1"] == 1.0 and skip["mAP_official"] == 1.0 and skip["num_valid_queries"] == 1
    assert zero["rank1"] == 0.5 and zero["mAP_official"] == 0.5


def _brute_force_non_interpolated(dist, good, junk):
    aps = []
    for i in range(dist.shape[0]):
        items = sorted(range(dist.shape[1]), key=lambda j: (dist[i, j], j))
        items = [j for j in items if not junk[i, j]]
        hits, precisions = 0, []
        for pos, j in enumerate(items, 1):
            if good[i, j]:
                hits += 1
                precisions.append(hits / pos)
        if precisions:
            aps.append(sum(precisions) / len(precisions))
    return float(np.mean(aps))


def test_random_official_le_non_interpolated_and_brute_force():
    rng = np.random.default_rng(3)
    q_ids, q_cams = rng.integers(0, 5, 20), rng.integers(0, 3, 20)
    g_ids, g_cams = rng.integers(-1, 5, 60), rng.integers(0, 3, 60)
    good, junk = market_masks(q_ids, q_cams, g_ids, g_cams)
    dist = rng.random((20, 60))
    r = evaluate_rankings(dist, good, junk, max_rank=10)
    valid = r["valid"]
    assert np.all(r["ap_official"][valid] <= r["ap_non_interpolated"][valid] + 1e-12)
    assert r["mAP_non_interpolated"] == pytest.approx(_brute_force_non_interpolated(dist, good, junk))


def test_minp_hand():
    # goods at positions 0 and 3 -> hardest at rank 4 -> INP = 2/4
    dist = np.array([[0.1, 0.2, 0.3, 0.4]])
    good = np.array([[True, False, False, True]])
    assert evaluate_rankings(dist, good, max_rank=4)["mINP"] == pytest.approx(0.5)


def test_pairwise_distance_np():
    a = np.array([[0.0, 0.0], [1.0, 0.0]])
    b = np.array([[3.0, 4.0]])
    assert pairwise_distance_np(a, b).ravel().tolist() == pytest.approx([5.0, np.sqrt(20.0)])
    assert pairwise_distance_np(a[1:], a[1:], "cosine")[0, 0] == pytest.approx(0.0)


def test_vectorised_evaluation_matches_per_query_definition():
    from pkg_shared.metrics.retrieval import hit_positions

    rng = np.random.default_rng(7)
    q_ids, q_cams = rng.integers(0, 6, 30), rng.integers(0, 3, 30)
    g_ids, g_cams = rng.integers(-1, 6, 80), rng.integers(0, 3, 80)
    good, junk = market_masks(q_ids, q_cams, g_ids, g_cams)
    dist = np.round(rng.random((30, 80)), 1).astype(np.float32)  # many ties
    r = evaluate_rankings(dist, good, junk, max_rank=20, invalid_query="zero")
    for i in range(30):
        hits = hit_positions(np.argsort(dist[i], kind="stable"), good[i], junk[i])
        assert r["valid"][i] == (len(hits) > 0)
        if len(hits):
            assert r["ap_official"][i] == pytest.approx(average_precision_from_hits(hits, "official"))
            assert r["ap_non_interpolated"][i] == pytest.approx(average_precision_from_hits(hits, "non_interpolated"))
    first = [hit_positions(np.argsort(dist[i], kind="stable"), good[i], junk[i]) for i in range(30)]
    rank1 = np.mean([len(h) > 0 and h[0] == 0 for h in first])
    assert r["rank1"] == pytest.approx(rank1)


@pytest.mark.parametrize("ties", [False, True], ids=["float", "integer-ties"])
def test_count_method_equals_stable_sort(ties):
    rng = np.random.default_rng(5)
    qp, qc = rng.integers(1, 8, 40), rng.integers(1, 4, 40)
    gp, gc = rng.integers(-1, 8, 300), rng.integers(1, 4, 300)
    dist = rng.integers(0, 12, size=(40, 300)).astype(np.float32) if ties else rng.random((40, 300), dtype=np.float32)
    good, junk = market_masks(qp, qc, gp, gc)
    for invalid in ("skip", "zero"):
        ref = evaluate_rankings(dist, good, junk, max_rank=50, invalid_query=invalid, method="sort")
        got = evaluate_rankings(dist, good, junk, max_rank=50, invalid_query=invalid, method="count")
        for k in ("rank1", "rank5", "rank10", "rank20", "mAP_official", "mAP_non_interpolated", "mINP", "num_valid_queries"):
            assert got[k] == pytest.approx(ref[k], abs=1e-12), (invalid, k)
        assert np.allclose(got["cmc"], ref["cmc"])
        assert np.allclose(got["ap_official"], ref["ap_official"], atol=1e-12)
        assert np.array_equal(got["valid"], ref["valid"])
