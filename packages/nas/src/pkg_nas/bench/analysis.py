"""Queries and analysis of an architecture dataset: rankings, best per depth or budget, the
inheritance report (is a*_{L+1} a child of a*_L?), greedy path, run-vs-run correlation, and the
quality of a search result against the dataset."""

from __future__ import annotations

from collections.abc import Mapping

from pkg_nas.bench.records import Entry
from pkg_nas.metrics.search_quality import hit_at_k, kendall_tau_b, rank_in, regret, spearman_rho
from pkg_nas.search.baselines import greedy_oracle_path
from pkg_nas.space import LayerAssignment, children, parents


def by_depth(entries: Mapping[LayerAssignment, Entry]) -> dict[int, list[Entry]]:
    out: dict[int, list[Entry]] = {}
    for e in entries.values():
        out.setdefault(e.depth, []).append(e)
    return {d: ranked(v) for d, v in sorted(out.items())}


def ranked(entries) -> list[Entry]:
    """Best first; ties by the lexicographically smaller assignment."""
    return sorted(entries, key=lambda e: (-e.mean, tuple(e.assignment)))


def best(entries: Mapping[LayerAssignment, Entry], depth: int) -> Entry | None:
    r = by_depth(entries).get(depth)
    return r[0] if r else None


def best_per_budget(entries: Mapping[LayerAssignment, Entry], *, macs: float | None = None,
                    params: float | None = None) -> Entry | None:
    pool = [e for e in entries.values() if (macs is None or e.macs <= macs) and (params is None or e.params <= params)]
    return ranked(pool)[0] if pool else None


def correlation(a: Mapping[LayerAssignment, Entry], b: Mapping[LayerAssignment, Entry]) -> dict:
    """Kendall tau-b and Spearman rho between two runs on their common assignments (overall and per depth)."""
    common = sorted(set(a) & set(b))
    out = {"common": len(common)}
    if len(common) >= 2:
        out["kendall_tau_b"] = kendall_tau_b([a[k].mean for k in common], [b[k].mean for k in common])
        out["spearman_rho"] = spearman_rho([a[k].mean for k in common], [b[k].mean for k in common])
    per = {}
    for d in sorted({k.depth for k in common}):
        ks = [k for k in common if k.depth == d]
        if len(ks) >= 2:
            per[d] = {"n": len(ks), "kendall_tau_b": kendall_tau_b([a[k].mean for k in ks], [b[k].mean for k in ks])}
    out["per_depth"] = per
    return out


def inheritance_report(entries: Mapping[LayerAssignment, Entry], delta: float = 0.2) -> dict:
    """Per consecutive depth pair: strict (a*_{L+1} in ch(a*_L)) and delta-tolerant inheritance,
    plus the greedy path from a*_{L_min} and its regret at each depth."""
    acc = {a: e.mean for a, e in entries.items()}
    depths = by_depth(entries)
    ds = sorted(depths)
    rows = []
    for d in ds[:-1]:
        if d + 1 not in depths:
            continue
        top, nxt = depths[d][0], depths[d + 1][0]
        near = [e.assignment for e in depths[d] if e.mean >= top.mean - delta]
        rows.append({"depth": d, "best": str(top.assignment), "best_next": str(nxt.assignment),
                     "strict": nxt.assignment in children(top.assignment),
                     "tolerant": any(p in near for p in parents(nxt.assignment))})
    greedy = []
    if ds:
        path = greedy_oracle_path(acc, depths[ds[0]][0].assignment, ds[-1])
        for g in path:
            top = depths[g.depth][0]
            greedy.append({"depth": g.depth, "greedy": str(g), "optimum": str(top.assignment),
                           "regret": top.mean - acc[g]})
    n = len(rows)
    return {"delta": delta, "pairs": rows,
            "strict_fraction": sum(r["strict"] for r in rows) / n if n else float("nan"),
            "tolerant_fraction": sum(r["tolerant"] for r in rows) / n if n else float("nan"),
            "greedy_path": greedy}


def search_quality(result: dict, entries: Mapping[LayerAssignment, Entry], tol: float | None = None) -> dict:
    """Hit@1/3 (strict and tolerant), regret and consistency of a search's per-depth picks, and
    rank correlation of its candidate scores with the dataset within each candidate set."""
    acc = {a: e.mean for a, e in entries.items()}
    depths = by_depth(entries)
    if tol is None:
        stds = [e.std for e in entries.values() if e.n > 1]
        tol = sum(stds) / len(stds) if stds else 0.0
    rows = []
    for p in result.get("path", []):
        a = LayerAssignment.parse(p["best"])
        d = a.depth
        if d not in depths or a not in acc:
            continue
        pool = [e.assignment for e in depths[d]]
        rows.append({"depth": d, "pick": str(a), "optimum": str(depths[d][0].assignment),
                     "rank": rank_in(acc, a, pool), "of": len(pool),
                     "hit1": hit_at_k(acc, a, pool, 1), "hit3": hit_at_k(acc, a, pool, 3),
                     "hit1_tolerant": hit_at_k(acc, a, pool, 1, tol), "regret": regret(acc, a, pool)})
    corr = []
    cands = result.get("candidates", [])
    for d in sorted({c["depth"] for c in cands}):
        cs = [c for c in cands if c["depth"] == d and LayerAssignment.parse(c["assignment"]) in acc]
        if len(cs) >= 2:
            xs = [c["acc"] for c in cs]
            ys = [acc[LayerAssignment.parse(c["assignment"])] for c in cs]
            corr.append({"depth": d, "n": len(cs), "kendall_tau_b": kendall_tau_b(xs, ys), "spearman_rho": spearman_rho(xs, ys)})
    n = len(rows)
    return {"method": result.get("method"), "evaluations": result.get("evaluations"), "tolerance": tol,
            "per_depth": rows, "consistency": sum(r["hit1"] for r in rows) / n if n else float("nan"),
            "consistency_tolerant": sum(r["hit1_tolerant"] for r in rows) / n if n else float("nan"),
            "rank_correlation": corr}
