"""reid-report: one table of the final metrics of several runs (Markdown or CSV).

Example:
  reid-report --runs runs/litm runs/single_margin runs/no_ghis --format md
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

from pkg_shared.cli import entrypoint
from pkg_shared.errors import DataFormatError

COLS = ("rank1", "rank5", "rank10", "mAP_official", "mAP_non_interpolated", "mINP")


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="reid-report", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", nargs="+", type=pathlib.Path, required=True)
    p.add_argument("--format", choices=("md", "csv"), default="md")
    args = p.parse_args(argv)
    rows = []
    for run in args.runs:
        path = run / "eval.json"
        if not path.is_file():
            raise DataFormatError(path, "no eval.json (the run has not finished)")
        try:
            res = json.loads(path.read_text())
        except ValueError as exc:
            raise DataFormatError(path, f"invalid JSON ({exc})") from exc
        for part in ("plain", "reranked"):
            if part in res:
                rows.append([f"{run.name}{'' if part == 'plain' else ' +rerank'}"] +
                            [f"{100 * res[part][c]:.1f}" if c in res[part] else "" for c in COLS])
    if args.format == "csv":
        print(",".join(("run", *COLS)))
        for r in rows:
            print(",".join(r))
    else:
        print("| run | " + " | ".join(COLS) + " |")
        print("|---" * (len(COLS) + 1) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
