"""Layer assignments: per-stage block counts, the space A_L of one depth, children and parents.

A layer assignment ``a = (n_1, ..., n_S)`` says how many blocks each stage holds; the depth is
``sum(a)``. The inherited search only ever looks at the children of the previous winner, so these
few set operations are the whole search space.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence

from pkg_shared.errors import ConfigError


class AssignmentError(ConfigError, ValueError):
    """An assignment that does not fit a network or supernet (wrong stage count, too deep)."""


class LayerAssignment(tuple):
    """An immutable tuple of positive ints that prints as ``"2-2-2-2"``."""

    def __new__(cls, counts: Iterable[int]) -> LayerAssignment:
        vals = tuple(int(c) for c in counts)
        if not vals:
            raise ConfigError("a layer assignment needs at least one stage")
        if any(v < 1 for v in vals):
            raise ConfigError(f"layer assignment {'-'.join(map(str, vals))}: every stage needs at least 1 block")
        return super().__new__(cls, vals)

    @classmethod
    def parse(cls, text: str | Sequence[int] | LayerAssignment) -> LayerAssignment:
        """Accept ``"2-2-2-2"``, ``"2,2,2,2"``, ``"(2, 2, 2, 2)"`` or a sequence of ints."""
        if isinstance(text, LayerAssignment):
            return text
        if not isinstance(text, str):
            return cls(text)
        s = text.strip().strip("()[]").replace(",", "-").replace(" ", "")
        try:
            return cls(int(p) for p in s.split("-") if p != "")
        except ValueError:
            raise ConfigError(f"cannot parse layer assignment {text!r}; expected e.g. 2-2-2-2") from None

    @property
    def depth(self) -> int:
        return sum(self)

    @property
    def stages(self) -> int:
        return len(self)

    def __str__(self) -> str:
        return "-".join(str(v) for v in self)

    def __repr__(self) -> str:
        return f"LayerAssignment({str(self)!r})"

    def children(self, max_per_stage: Sequence[int] | None = None) -> list[LayerAssignment]:
        return children(self, max_per_stage)

    def parents(self) -> list[LayerAssignment]:
        return parents(self)


def _caps(stages: int, max_per_stage: Sequence[int] | int | None) -> tuple[int, ...] | None:
    if max_per_stage is None:
        return None
    if isinstance(max_per_stage, int):
        return (max_per_stage,) * stages
    caps = tuple(int(c) for c in max_per_stage)
    if len(caps) != stages:
        raise ConfigError(f"max_per_stage has {len(caps)} entries but there are {stages} stages")
    return caps


def count(depth: int, stages: int, max_per_stage: Sequence[int] | int | None = None) -> int:
    """``|A_L|``: C(L-1, S-1) without caps (stars and bars); with caps counted by recursion."""
    caps = _caps(stages, max_per_stage)
    if caps is None:
        return math.comb(depth - 1, stages - 1) if depth >= stages >= 1 else 0
    return sum(1 for _ in enumerate_depth(depth, stages, caps))


def enumerate_depth(depth: int, stages: int, max_per_stage: Sequence[int] | int | None = None) -> Iterator[LayerAssignment]:
    """All assignments of ``depth`` blocks over ``stages`` stages, in lexicographic order."""
    caps = _caps(stages, max_per_stage)
    if depth < stages:
        return
    # choose S-1 cut points among the L-1 gaps between blocks
    for cuts in itertools.combinations(range(1, depth), stages - 1):
        bounds = (0, *cuts, depth)
        a = tuple(bounds[i + 1] - bounds[i] for i in range(stages))
        if caps is None or all(n <= c for n, c in zip(a, caps)):
            yield LayerAssignment(a)


def enumerate_range(lo: int, hi: int, stages: int, max_per_stage: Sequence[int] | int | None = None) -> list[LayerAssignment]:
    return [a for d in range(lo, hi + 1) for a in enumerate_depth(d, stages, max_per_stage)]


def children(a: Sequence[int], max_per_stage: Sequence[int] | int | None = None) -> list[LayerAssignment]:
    """``ch(a) = {a + e_s}``: one more block in one stage, caps respected."""
    a = LayerAssignment(a)
    caps = _caps(len(a), max_per_stage)
    out = []
    for s in range(len(a)):
        if caps is None or a[s] + 1 <= caps[s]:
            out.append(LayerAssignment(a[:s] + (a[s] + 1,) + a[s + 1 :]))
    return out


def parents(a: Sequence[int]) -> list[LayerAssignment]:
    """``pa(a) = {a - e_s : n_s >= 2}``."""
    a = LayerAssignment(a)
    return [LayerAssignment(a[:s] + (a[s] - 1,) + a[s + 1 :]) for s in range(len(a)) if a[s] >= 2]


def descendants(a: Sequence[int], k: int, max_per_stage: Sequence[int] | int | None = None) -> list[LayerAssignment]:
    """All ways to add ``k`` blocks to ``a`` (the ``--step-size k`` candidate set), sorted."""
    level = {LayerAssignment(a)}
    for _ in range(k):
        level = {c for p in level for c in children(p, max_per_stage)}
    return sorted(level)
