"""MRF occlusion post-processing (spec §5; the energy terms are our formulation of the paper's idea).

Nodes are top-vertex candidates i; labels are the plausible bottoms of i plus the null label.
  unary     U_i(b) = -log(S(t_i, b) + eps),   U_i(null) = -log(pair_thresh)
  pairwise  V_ij(b, b') = hard_penalty           if b == b' != null (one bottom per person)
                        = gamma * IoU(box_ib, box_jb')  if that IoU > theta, else 0
Nodes i, j are neighbours when their best virtual boxes overlap (IoU > 0) or they share a
candidate bottom. Each connected component is solved exactly (depth-first branch and bound) when
small, else by damped loopy min-sum belief propagation polished by ICM within a time budget.
Pairs that the MAP labelling does not choose get their score multiplied by ``suppress``.
"""

from __future__ import annotations

import time

import numpy as np

from pkg_detect.config import DecodeConfig, MRFConfig

NULL = -1


class MRFProblem:
    """Label sets, unaries and pairwise tables of one MRF (nodes indexed 0..n-1)."""

    def __init__(self, labels: list[list[int]], unary: list[np.ndarray],
                 pairwise: dict[tuple[int, int], np.ndarray]) -> None:
        self.labels = labels  # per node: bottom indices, NULL last
        self.unary = unary  # per node: energies per label
        self.pairwise = pairwise  # (i, j) with i < j -> (|L_i|, |L_j|) energies
        self.nbrs: list[list[int]] = [[] for _ in labels]
        for i, j in pairwise:
            self.nbrs[i].append(j)
            self.nbrs[j].append(i)

    def pair(self, i: int, j: int) -> np.ndarray:
        return self.pairwise[(i, j)] if i < j else self.pairwise[(j, i)].T

    def energy(self, assign: list[int] | np.ndarray) -> float:
        e = sum(float(self.unary[i][a]) for i, a in enumerate(assign))
        for (i, j), tab in self.pairwise.items():
            e += float(tab[assign[i], assign[j]])
        return e

    def energy_of(self, assign: dict[int, int]) -> float:
        """Energy of a partial labelling (the nodes in ``assign`` only)."""
        e = sum(float(self.unary[i][a]) for i, a in assign.items())
        for (i, j), tab in self.pairwise.items():
            if i in assign and j in assign:
                e += float(tab[assign[i], assign[j]])
        return e

    def components(self) -> list[list[int]]:
        seen, comps = set(), []
        for s in range(len(self.labels)):
            if s in seen:
                continue
            stack, comp = [s], []
            seen.add(s)
            while stack:
                i = stack.pop()
                comp.append(i)
                for j in self.nbrs[i]:
                    if j not in seen:
                        seen.add(j)
                        stack.append(j)
            comps.append(sorted(comp))
        return comps


def build_problem(s: np.ndarray, c, dcfg: DecodeConfig, mcfg: MRFConfig) -> tuple[MRFProblem, list[int]]:
    """MRF over the top candidates that have at least one valid bottom; returns (problem, top ids)."""
    from pkg_detect.decode import box_iou, pair_box

    nodes = [i for i in range(s.shape[0]) if np.isfinite(s[i]).any()]
    labels, unary, boxes = [], [], []
    for i in nodes:
        bs = [int(j) for j in np.nonzero(np.isfinite(s[i]))[0]]
        labels.append(bs + [NULL])
        u = [-np.log(max(s[i, j], 0.0) + mcfg.eps) for j in bs] + [-np.log(max(dcfg.pair_thresh, mcfg.eps))]
        unary.append(np.array(u))
        boxes.append(np.array([pair_box(c.tops[i], c.bottoms[j], dcfg.aspect, dcfg.height_mode) for j in bs]))
    best = [b[int(np.argmin(u[:-1]))] for b, u in zip(boxes, unary)]
    pairwise = {}
    for a in range(len(nodes)):
        for b in range(a + 1, len(nodes)):
            shares = bool(set(labels[a][:-1]) & set(labels[b][:-1]))
            if not shares and box_iou(best[a], best[b])[0, 0] <= 0:
                continue
            ious = box_iou(boxes[a], boxes[b])
            tab = np.zeros((len(labels[a]), len(labels[b])))
            tab[:-1, :-1] = np.where(ious > mcfg.theta, mcfg.gamma * ious, 0.0)
            same = np.array(labels[a][:-1])[:, None] == np.array(labels[b][:-1])[None, :]
            tab[:-1, :-1][same] = mcfg.hard_penalty
            pairwise[(a, b)] = tab
    return MRFProblem(labels, unary, pairwise), nodes


def solve_exact(p: MRFProblem, comp: list[int]) -> dict[int, int]:
    """Minimum-energy labelling of one component by depth-first branch and bound (exact)."""
    order = sorted(comp, key=lambda i: -len(p.nbrs[i]))
    min_u = [float(p.unary[i].min()) for i in order]
    rest = np.concatenate([np.cumsum(min_u[::-1])[::-1], [0.0]])
    best = [np.inf, None]
    assign: dict[int, int] = {}

    def rec(k: int, e: float) -> None:
        if e + rest[k] >= best[0]:
            return
        if k == len(order):
            best[0], best[1] = e, dict(assign)
            return
        i = order[k]
        for a in np.argsort(p.unary[i], kind="stable"):
            de = float(p.unary[i][a])
            for j in p.nbrs[i]:
                if j in assign:
                    de += float(p.pair(i, j)[a, assign[j]])
            assign[i] = int(a)
            rec(k + 1, e + de)
            del assign[i]

    rec(0, 0.0)
    return best[1]


def solve_bp(p: MRFProblem, comp: list[int], iters: int = 20, damping: float = 0.5,
             time_budget_s: float = 0.5) -> dict[int, int]:
    """Damped loopy min-sum belief propagation, then ICM polishing (approximate)."""
    t0 = time.perf_counter()
    msgs = {(i, j): np.zeros(len(p.labels[j])) for i in comp for j in p.nbrs[i]}
    for _ in range(iters):
        new = {}
        for (i, j) in msgs:
            h = p.unary[i] + sum((msgs[(k, i)] for k in p.nbrs[i] if k != j), np.zeros(len(p.labels[i])))
            m = (h[:, None] + p.pair(i, j)).min(axis=0)
            m -= m.min()
            new[(i, j)] = damping * msgs[(i, j)] + (1 - damping) * m
        msgs = new
        if time.perf_counter() - t0 > time_budget_s:
            break
    assign = {}
    for i in comp:
        belief = p.unary[i] + sum((msgs[(k, i)] for k in p.nbrs[i]), np.zeros(len(p.labels[i])))
        assign[i] = int(np.argmin(belief))
    bp = icm(p, comp, assign, t0=t0, time_budget_s=2 * time_budget_s)
    greedy = icm(p, comp, greedy_init(p, comp), t0=t0, time_budget_s=2 * time_budget_s)
    energy = [p.energy_of(a) for a in (bp, greedy)]
    return bp if energy[0] <= energy[1] else greedy


def greedy_init(p: MRFProblem, comp: list[int]) -> dict[int, int]:
    """Most confident node first, each taking its best label given the nodes already labelled."""
    assign: dict[int, int] = {}
    for i in sorted(comp, key=lambda i: float(p.unary[i].min())):
        local = p.unary[i].copy()
        for j in p.nbrs[i]:
            if j in assign:
                local += p.pair(i, j)[:, assign[j]]
        assign[i] = int(np.argmin(local))
    return assign


def icm(p: MRFProblem, comp: list[int], assign: dict[int, int], max_sweeps: int = 50,
        t0: float | None = None, time_budget_s: float = 1.0) -> dict[int, int]:
    """Iterated conditional modes: each node takes its best label given its neighbours."""
    t0 = time.perf_counter() if t0 is None else t0
    for _ in range(max_sweeps):
        changed = False
        for i in comp:
            local = p.unary[i].copy()
            for j in p.nbrs[i]:
                local += p.pair(i, j)[:, assign[j]]
            a = int(np.argmin(local))
            if local[a] < local[assign[i]] - 1e-12:
                assign[i] = a
                changed = True
        if not changed or time.perf_counter() - t0 > time_budget_s:
            break
    return assign


def solve(p: MRFProblem, cfg: MRFConfig = MRFConfig()) -> list[int]:
    """Label index per node: exact per small component, BP + ICM for large ones."""
    out = [len(lab) - 1 for lab in p.labels]
    for comp in p.components():
        states = float(np.prod([len(p.labels[i]) for i in comp]))
        if len(comp) <= cfg.exact_max_nodes and states <= cfg.exact_max_states:
            sol = solve_exact(p, comp)
        else:
            sol = solve_bp(p, comp, cfg.bp_iters, cfg.bp_damping, cfg.time_budget_s)
        for i, a in sol.items():
            out[i] = a
    return out


def mrf_reweight(s: np.ndarray, c, dcfg: DecodeConfig, mcfg: MRFConfig) -> np.ndarray:
    """Score matrix with the pairs outside the MAP labelling multiplied by ``suppress``."""
    p, nodes = build_problem(s, c, dcfg, mcfg)
    if not nodes:
        return s
    labels = solve(p, mcfg)
    out = s.copy()
    for k, i in enumerate(nodes):
        chosen = p.labels[k][labels[k]]
        row = np.isfinite(out[i])
        row[chosen] = False if chosen != NULL else row[chosen]
        out[i, row] *= mcfg.suppress
    return out
