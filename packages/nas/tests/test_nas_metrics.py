import math

import pytest
import torch

from pkg_nas.bench.analysis import correlation, inheritance_report, search_quality
from pkg_nas.bench.records import Entry
from pkg_nas.metrics.classification import AccuracyMeter, topk_correct
from pkg_nas.metrics.search_quality import hit_at_k, kendall_tau_b, regret, spearman_rho
from pkg_nas.space import LayerAssignment as LA


def test_topk_hand_case():
    logits = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.5, 0.5, 0.0]])
    y = torch.tensor([1, 2, 0, 1])
    # row 0 top1 hit; row 1 label 2 tied with 1 for second place: topk keeps the lower index first
    # row 3: tie 0/1 -> topk returns index 0 first, so label 1 misses top-1 but hits top-2
    assert topk_correct(logits, y, (1, 2, 3)) == {1: 1, 2: 2, 3: 4}


def test_meter_counts_over_split_not_batch_means():
    m = AccuracyMeter((1,))
    m.update(torch.tensor([[1.0, 0.0]] * 3), torch.tensor([0, 0, 0]))  # 3/3
    m.update(torch.tensor([[1.0, 0.0]]), torch.tensor([1]))  # 0/1
    assert m.result()["top1"] == pytest.approx(75.0)  # mean of batch means would be 50


CASES = [
    ([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]),
    ([1, 2, 2, 3, 4, 4], [3, 1, 2, 2, 5, 5]),
    ([0.3, 0.1, 0.1, 0.7, 0.2], [1, 1, 2, 2, 0]),
    ([4, 3, 2, 1], [1, 2, 3, 4]),
]


@pytest.mark.parametrize("x,y", CASES)
def test_rank_correlations_equal_scipy(x, y):
    stats = pytest.importorskip("scipy.stats")
    assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y).statistic)
    assert spearman_rho(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)


def test_kendall_hand_case():
    # pairs of (1,2,3) vs (1,3,2): concordant (1,2),(1,3); discordant (2,3) -> (2-1)/3
    assert kendall_tau_b([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)


def test_hit_and_regret_hand_case():
    acc = {"a": 70.0, "b": 69.95, "c": 68.0, "d": 60.0}
    pool = list(acc)
    assert hit_at_k(acc, "a", pool, 1) and not hit_at_k(acc, "b", pool, 1)
    assert hit_at_k(acc, "b", pool, 1, tol=0.1)  # within the seed noise
    assert hit_at_k(acc, "c", pool, 3) and not hit_at_k(acc, "d", pool, 3)
    assert regret(acc, "c", pool) == pytest.approx(2.0)


def _entries(table):
    return {LA.parse(a): Entry(LA.parse(a), m, s, 2, 0, 0) for a, (m, s) in table.items()}


# depth 3 (S=2): 1-2 best; depth 4: 2-2 best (child of 1-2: inheritance holds);
# depth 5: 4-1 best (not a child of 2-2; parent 3-1 is 0.1 below 2-2, within delta 0.2)
HAND = {"1-1": (50, 0.1), "1-2": (60, 0.1), "2-1": (55, 0.1), "1-3": (61, 0.1), "2-2": (65, 0.1),
        "3-1": (64.9, 0.1), "1-4": (62, 0.1), "2-3": (63, 0.1), "3-2": (64, 0.1), "4-1": (66, 0.1)}


def test_inheritance_report_hand_case():
    rep = inheritance_report(_entries(HAND), delta=0.2)
    pairs = {p["depth"]: p for p in rep["pairs"]}
    assert pairs[2]["strict"] and pairs[3]["strict"] and not pairs[4]["strict"]
    assert pairs[4]["tolerant"]
    assert rep["strict_fraction"] == pytest.approx(2 / 3)
    assert rep["tolerant_fraction"] == 1.0
    greedy = [(g["greedy"], round(g["regret"], 6)) for g in rep["greedy_path"]]
    assert greedy == [("1-1", 0), ("1-2", 0), ("2-2", 0), ("3-2", 2.0)]


def test_search_quality_hand_case():
    entries = _entries(HAND)
    result = {"method": "x", "evaluations": 7, "path": [{"best": "1-2"}, {"best": "2-2"}, {"best": "3-2"}],
              "candidates": [{"depth": 5, "assignment": "2-3", "acc": 1.0}, {"depth": 5, "assignment": "3-2", "acc": 2.0},
                             {"depth": 5, "assignment": "4-1", "acc": 3.0}]}
    q = search_quality(result, entries, tol=0.0)
    assert [r["hit1"] for r in q["per_depth"]] == [True, True, False]
    assert q["per_depth"][2]["rank"] == 2 and q["per_depth"][2]["regret"] == pytest.approx(2.0)
    assert q["consistency"] == pytest.approx(2 / 3)
    assert q["rank_correlation"][0]["kendall_tau_b"] == pytest.approx(1.0)


def test_correlation_of_two_runs():
    a = _entries({"1-1": (1, 0), "1-2": (2, 0), "2-1": (3, 0)})
    b = _entries({"1-1": (1, 0), "1-2": (3, 0), "2-1": (2, 0), "3-1": (9, 0)})
    c = correlation(a, b)
    assert c["common"] == 3 and c["kendall_tau_b"] == pytest.approx(1 / 3)
    assert not math.isnan(c["spearman_rho"])
