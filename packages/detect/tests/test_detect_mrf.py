"""MRF (§5): approximate solver equals exact enumeration on small cases; constraints; switching off."""

import itertools

import numpy as np
import pytest

from pkg_detect.config import DecodeConfig, MRFConfig
from pkg_detect.decode import Candidates, decode
from pkg_detect.mrf import NULL, MRFProblem, build_problem, icm, solve, solve_bp, solve_exact
from pkg_detect.targets import make_targets


def brute(p: MRFProblem):
    best = min(itertools.product(*[range(len(lab)) for lab in p.labels]), key=p.energy)
    return p.energy(best)


def ambiguous_problem():
    # two tops, two bottoms, crossing evidence; plus a third person in a row
    tops = np.array([[50.0, 10], [60, 12], [90, 15]])
    bots = np.array([[52.0, 110], [58, 112], [91, 100]])
    s = np.array([[0.9, 0.85, -np.inf], [0.8, 0.7, -np.inf], [-np.inf, 0.3, 0.6]])
    c = Candidates(tops, np.ones(3), bots, np.ones(3))
    return build_problem(s, c, DecodeConfig(), MRFConfig())


def test_exact_equals_brute_force_and_bp_icm_match():
    p, nodes = ambiguous_problem()
    comp = list(range(len(nodes)))
    ex = solve_exact(p, comp)
    e_exact = p.energy([ex[i] for i in comp])
    assert e_exact == pytest.approx(brute(p))
    bp = solve_bp(p, comp)
    assert p.energy([bp[i] for i in comp]) == pytest.approx(e_exact)
    start = {i: 0 for i in comp}
    polished = icm(p, comp, dict(start))
    assert p.energy([polished[i] for i in comp]) <= p.energy([start[i] for i in comp])


def test_one_bottom_per_top_constraint():
    p, nodes = ambiguous_problem()
    lab = solve(p, MRFConfig())
    chosen = [p.labels[k][a] for k, a in enumerate(lab) if p.labels[k][a] != NULL]
    assert len(chosen) == len(set(chosen))


def test_random_small_problems_bp_equals_exact():
    rng = np.random.default_rng(1)
    agree = 0
    for _ in range(10):
        n = 4
        tops = np.column_stack([rng.uniform(0, 60, n), rng.uniform(0, 10, n)])
        bots = np.column_stack([tops[:, 0] + rng.uniform(-5, 5, n), tops[:, 1] + rng.uniform(60, 90, n)])
        s = rng.uniform(0.1, 1, (n, n))
        p, nodes = build_problem(s, Candidates(tops, np.ones(n), bots, np.ones(n)), DecodeConfig(), MRFConfig())
        comp = list(range(len(nodes)))
        e_exact = p.energy([solve_exact(p, comp)[i] for i in comp])
        assert e_exact == pytest.approx(brute(p))
        sol = solve_bp(p, comp)
        e_bp = p.energy([sol[i] for i in comp])
        assert e_bp >= e_exact - 1e-9
        assert e_bp < MRFConfig().hard_penalty  # never two people on one bottom
        agree += e_bp == pytest.approx(e_exact)
    assert agree >= 6  # approximate: 7 of these 10 dense 4-node toys reach the exact optimum


def test_mrf_disabled_is_plain_decoding_and_enabled_keeps_clean_scene():
    boxes = np.array([[40, 30, 41, 100], [150, 60, 24.6, 60]])
    t = make_targets(boxes, None, (50, 60))
    maps = {"top": t["top"], "bottom": t["bottom"], "line": t["line"]}
    plain = decode(maps, (200, 240), DecodeConfig())
    off = decode(maps, (200, 240), DecodeConfig(), MRFConfig(enabled=False))
    np.testing.assert_array_equal(plain, off)
    on = decode(maps, (200, 240), DecodeConfig(), MRFConfig(enabled=True))
    np.testing.assert_allclose(on[:, :4], plain[:, :4])
