import itertools
import math

import pytest

from pkg_nas.space import LayerAssignment, children, count, descendants, enumerate_depth, parents
from pkg_shared.errors import ConfigError


def brute(depth, stages, cap=None):
    hi = depth if cap is None else cap
    return {a for a in itertools.product(range(1, hi + 1), repeat=stages) if sum(a) == depth}


@pytest.mark.parametrize("stages", [2, 3, 4, 5])
def test_count_matches_binomial_and_brute_force(stages):
    for depth in range(stages, 13):
        items = list(enumerate_depth(depth, stages))
        assert len(items) == len(set(items)) == math.comb(depth - 1, stages - 1) == count(depth, stages)
        if depth <= 10:
            assert set(items) == brute(depth, stages)


def test_spec_sizes():
    assert [count(L, 4) for L in (8, 12, 16, 20)] == [35, 165, 455, 969]
    assert [count(L, 3) for L in (8, 16)] == [21, 105]
    assert sum(count(L, 4) for L in range(4, 11)) == 210
    assert sum(count(L, 4) for L in range(4, 13)) == 495


def test_caps_respected():
    items = set(enumerate_depth(9, 3, (3, 4, 5)))
    assert items == {a for a in brute(9, 3) if a[0] <= 3 and a[1] <= 4 and a[2] <= 5}
    assert count(9, 3, (3, 4, 5)) == len(items)
    assert LayerAssignment((3, 1, 2)).children((3, 4, 5)) == [(3, 2, 2), (3, 1, 3)]


def test_children_parents_inverse():
    for a in enumerate_depth(7, 4):
        for c in children(a):
            assert c.depth == a.depth + 1 and a in parents(c)
        for p in parents(a):
            assert a in children(p)
    assert parents((1, 1, 1)) == []
    assert len(children((2, 2, 2, 2))) == 4


def test_descendants_are_all_ways_to_add_k():
    a = LayerAssignment((1, 2, 1))
    got = set(descendants(a, 2))
    want = {b for b in brute(6, 3) if all(x >= y for x, y in zip(b, a))}
    assert got == want


def test_parse_roundtrip_and_errors():
    for text in ("2-2-2-2", "2,2,2,2", "(2, 2, 2, 2)", "[2,2,2,2]"):
        assert LayerAssignment.parse(text) == (2, 2, 2, 2)
    assert str(LayerAssignment.parse("3-4-6-3")) == "3-4-6-3"
    assert LayerAssignment.parse("3-4-6-3").depth == 16
    with pytest.raises(ConfigError):
        LayerAssignment.parse("2-x-2")
    with pytest.raises(ConfigError):
        LayerAssignment.parse("2-0-2")
