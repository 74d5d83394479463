"""nas-report: search quality against the architecture dataset (JSON + plot), or a results table."""

from __future__ import annotations

import pathlib

from pkg_nas.cli.common import emit_json
from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_write_text
from pkg_shared.io.tables import read_json

EXAMPLE = """examples:
  nas-report quality --search runs/search_c100 runs/uniform --bench bench.jsonl --plot quality.png
  nas-report table --runs runs/c100_2392 runs/c100_2222 --format md
"""


def _result(path: pathlib.Path) -> dict:
    f = path / "result.json" if path.is_dir() else path
    res = read_json(f)
    if not isinstance(res, dict) or "path" not in res:
        raise DataFormatError(f, "not a nas-search result.json (no 'path')")
    return res


def table_rows(runs: list[pathlib.Path], searches: list[dict]) -> list[dict]:
    """One row per (dataset, family, assignment): top-1 mean ± std over the runs (seeds) given."""
    import statistics

    import yaml

    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        folder = run if run.is_dir() else run.parent
        res = read_json(folder / "result.json")
        cfg_path = folder / "config.yaml"
        cfg = yaml.safe_load(cfg_path.read_text()) if cfg_path.is_file() else {}
        key = (cfg.get("data", {}).get("dataset", ""), cfg.get("model", {}).get("family", ""), res.get("assignment"))
        groups.setdefault(key, []).append(res)
    rows = []
    for (dataset, family, a), rs in groups.items():
        t1 = [r.get("top1_test", float("nan")) for r in rs]
        t5 = [r.get("top5_test", float("nan")) for r in rs]
        std = statistics.stdev(t1) if len(t1) > 1 else 0.0
        found = [s for s in searches if s.get("best") == a]
        cost = f"{found[0]['evaluations']} evals, {found[0].get('supernet_epochs', 0)} supernet epochs" if found else ""
        rows.append({"dataset": dataset, "family": family, "depth": rs[0].get("depth"), "assignment": a,
                     "params_M": round(rs[0].get("params", 0) / 1e6, 2), "macs_M": round(rs[0].get("macs", 0) / 1e6, 1),
                     "top1": f"{statistics.fmean(t1):.2f} ± {std:.2f} (n={len(t1)})", "top5": f"{statistics.fmean(t5):.2f}",
                     "search_cost": cost, "source": (found[0]["method"] + " search") if found else "handcrafted"})
    return rows


def table(rows: list[dict], fmt: str) -> str:
    cols = ["dataset", "family", "depth", "assignment", "params_M", "macs_M", "top1", "top5", "search_cost", "source"]
    if fmt == "csv":
        return "\n".join([",".join(cols)] + [",".join(str(r.get(c, "")) for c in cols) for r in rows]) + "\n"
    head = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    return head + "".join("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |\n" for r in rows)


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("nas-report", "Search-quality report (Hit@k, regret, rank correlation) or a results table.",
                    config=False, out=False, device=False, seed=False)
    p.epilog = EXAMPLE
    sub = p.add_subparsers(dest="action", required=True)
    q = sub.add_parser("quality", help="searches vs the architecture dataset")
    q.add_argument("--search", required=True, nargs="+", type=pathlib.Path, help="search dirs or result.json files")
    q.add_argument("--bench", required=True, type=pathlib.Path, nargs="+", help="architecture-dataset JSONL file(s)")
    q.add_argument("--recipe", default=None, help="only records with this recipe_hash")
    q.add_argument("--metric", default="top1_test")
    q.add_argument("--tol", type=float, default=None, help="tie tolerance for tolerant Hit@1 (default: mean seed std)")
    q.add_argument("--plot", type=pathlib.Path)
    q.add_argument("--out", type=pathlib.Path)
    t = sub.add_parser("table", help="result table of nas-train runs")
    t.add_argument("--runs", required=True, nargs="+", type=pathlib.Path)
    t.add_argument("--format", choices=["md", "csv"], default="md")
    t.add_argument("--search-result", nargs="*", default=[], type=pathlib.Path,
                   help="search dirs/result.json: runs of their picks are labelled 'searched' with the search cost")
    t.add_argument("--out", type=pathlib.Path)
    args = p.parse_args(argv)
    if args.action == "quality":
        from pkg_nas.bench.analysis import search_quality
        from pkg_nas.bench.records import aggregate, read_many

        entries = aggregate(read_many(args.bench), args.metric, args.recipe)
        results = {}
        for s in args.search:
            r = _result(s)
            results[f"{r['method']}" if r["method"] not in results else f"{r['method']}:{s}"] = r
        rep = {name: search_quality(r, entries, args.tol) for name, r in results.items()}
        if args.plot:
            from pkg_nas.vis import plot_search_vs_bench

            rep["plot"] = str(plot_search_vs_bench(results, entries, args.plot))
        emit_json(rep, args.out)
        return 0
    rows = table_rows(args.runs, [_result(x) for x in args.search_result])
    text = table(rows, args.format)
    if args.out:
        atomic_write_text(args.out, text)
    else:
        print(text, end="")
    return 0

