"""Baselines on the same supernet/evaluator (spec §5.5): uniform one-shot over all of A_{L_T}
(exhaustive scoring, or evolution when the space is large), evolution at fixed depth, random
sampling, and the greedy-oracle path through an architecture dataset."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence

from pkg_nas.config import SearchConfig
from pkg_nas.search.evaluate import CountingEvaluator
from pkg_nas.search.inherited import rank
from pkg_nas.space import LayerAssignment, children, enumerate_depth


def _result(method: str, ranked, evaluations: int, epochs: int, t0: float, depth: int, extra: dict | None = None) -> dict:
    best_a, best_s = ranked[0]
    return {"method": method, "best": str(best_a), "best_depth": depth,
            "path": [{"depth": depth, "best": str(best_a), "val_top1": best_s.acc}],
            "evaluations": evaluations, "supernet_epochs": epochs, "wall_time_s": time.time() - t0,
            "candidates": [{"depth": depth, "assignment": str(a), "rank": i + 1, **s.as_dict()}
                           for i, (a, s) in enumerate(ranked)], **(extra or {})}


def _repair(a: list[int], depth: int, rng: random.Random, caps: Sequence[int] | None) -> LayerAssignment | None:
    """Add/remove single layers at random stages until the depth is ``depth`` (caps respected)."""
    a = list(a)
    for _ in range(1000):
        d = sum(a) - depth
        if d == 0:
            return LayerAssignment(a)
        s = rng.randrange(len(a))
        if d > 0 and a[s] > 1:
            a[s] -= 1
        elif d < 0 and (caps is None or a[s] < caps[s]):
            a[s] += 1
    return None


def mutate(a: LayerAssignment, p: float, rng: random.Random, caps: Sequence[int] | None = None) -> LayerAssignment:
    """Each stage with probability ``p`` moves one of its layers to another stage (depth kept)."""
    a = list(a)
    for s in range(len(a)):
        if rng.random() < p and a[s] > 1:
            t = rng.choice([u for u in range(len(a)) if u != s])
            if caps is None or a[t] < caps[t]:
                a[s] -= 1
                a[t] += 1
    return LayerAssignment(a)


def crossover(a: LayerAssignment, b: LayerAssignment, rng: random.Random, caps=None) -> LayerAssignment | None:
    """Per stage from either parent, then repaired to the parents' depth."""
    child = [x if rng.random() < 0.5 else y for x, y in zip(a, b)]
    return _repair(child, sum(a), rng, caps)


def evolution(evaluator: CountingEvaluator, depth: int, stages: int, cfg: SearchConfig,
              allowed: Callable[[LayerAssignment], bool] | None = None) -> tuple[list, int]:
    """Regularised-free SPOS-style evolution at fixed total depth; returns (ranked scored, evaluations)."""
    rng = random.Random(cfg.seed)
    ok = allowed or (lambda a: True)
    space = [a for a in enumerate_depth(depth, stages, cfg.max_per_stage) if ok(a)]
    if not space:
        return [], 0
    pop_n = min(cfg.evo_population, len(space))
    pop = rng.sample(space, pop_n)
    scored = {a: evaluator(a) for a in pop}
    for _ in range(cfg.evo_generations):
        parents = [a for a, _ in rank(list(scored.items()))[: cfg.evo_parents]]
        new: set[LayerAssignment] = set()
        tries = 0
        while len(new) < pop_n and tries < 20 * pop_n:
            tries += 1
            if rng.random() < 0.5:
                c = mutate(rng.choice(parents), cfg.evo_mutation, rng, cfg.max_per_stage)
            else:
                c = crossover(rng.choice(parents), rng.choice(parents), rng, cfg.max_per_stage)
            if c is not None and ok(c) and c not in scored:
                new.add(c)
        if not new:
            break
        for c in sorted(new):
            scored[c] = evaluator(c)
    return rank(list(scored.items())), len(scored)


def uniform_search(cfg: SearchConfig, stages: int, evaluator: CountingEvaluator, *, trainer=None,
                   allowed: Callable[[LayerAssignment], bool] | None = None, force_evolution: bool = False,
                   epochs: int | None = None) -> dict:
    """SPOS baseline: train uniformly over all of A_{L_T}, then score exhaustively (or evolve)."""
    t0 = time.time()
    ok = allowed or (lambda a: True)
    space = [a for a in enumerate_depth(cfg.target_depth, stages, cfg.max_per_stage) if ok(a)]
    if not space:
        raise ValueError(f"no assignment of depth {cfg.target_depth} fits the budget")
    l0 = cfg.start_depth or stages
    n_ep = epochs if epochs is not None else (cfg.uniform_epochs or cfg.e0 + (cfg.target_depth - l0) * cfg.e_step)
    if trainer is not None:
        trainer.train(space, n_ep, tag="uniform")
        evaluator.invalidate()
    if force_evolution or len(space) > cfg.exhaustive_limit:
        ranked, n_eval = evolution(evaluator, cfg.target_depth, stages, cfg, ok)
        method = "evolution"
    else:
        ranked, n_eval = rank([(a, evaluator(a)) for a in space]), len(space)
        method = "uniform"
    return _result(method, ranked, n_eval, n_ep if trainer is not None else 0, t0, cfg.target_depth,
                   {"space_size": len(space)})


def random_search(cfg: SearchConfig, stages: int, evaluator: CountingEvaluator,
                  allowed: Callable[[LayerAssignment], bool] | None = None, trained_epochs: int = 0) -> dict:
    """Score ``random_samples`` distinct random assignments of depth L_T; keep the best."""
    t0 = time.time()
    ok = allowed or (lambda a: True)
    space = [a for a in enumerate_depth(cfg.target_depth, stages, cfg.max_per_stage) if ok(a)]
    rng = random.Random(cfg.seed)
    picks = rng.sample(space, min(cfg.random_samples, len(space)))
    ranked = rank([(a, evaluator(a)) for a in picks])
    return _result("random", ranked, len(picks), trained_epochs, t0, cfg.target_depth)


def greedy_oracle_path(acc: Mapping[LayerAssignment, float], start: LayerAssignment, target_depth: int,
                       caps=None) -> list[LayerAssignment]:
    """Follow the best child (by dataset accuracy) from ``start``; stops where no child is known."""
    path = [LayerAssignment(start)]
    while path[-1].depth < target_depth:
        kids = [c for c in children(path[-1], caps) if c in acc]
        if not kids:
            break
        path.append(min(kids, key=lambda c: (-acc[c], tuple(c))))
    return path
