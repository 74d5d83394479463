"""tools/demo: run each package's ``<name>-demo`` end to end and print one summary table.

Protocol every demo follows: ``<name>-demo --out DIR`` generates its data in the official format,
trains briefly, evaluates with the official metric, runs inference, writes a picture, and writes
``DIR/summary.json`` with the keys ``ran`` (what it did), ``metric`` (``name=value`` text) and
``picture`` (path of the PNG). Exit status non-zero when any demo failed.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

from workspace import ROOT, packages


def main(argv: list[str]) -> int:
    projects = {p.name: p for p in packages() if p.demo_script}
    missing = [p.name for p in packages() if not p.demo_script]
    wanted = argv or list(projects)
    unknown = [w for w in wanted if w not in projects]
    if unknown:
        print(f"tools/demo: no demo for {unknown}; packages with a demo: {sorted(projects)}", file=sys.stderr)
        return 2
    if not projects:
        print("tools/demo: no package with a demo yet (packages/*/pyproject.toml with a <name>-demo script)")
        return 0
    if missing and not argv:
        print(f"tools/demo: packages without a demo (not run): {missing}")
    out_root = pathlib.Path(os.environ.get("PKG_DEMO_OUT", ROOT / "runs" / "demo"))
    bindir = pathlib.Path(sys.executable).parent
    env = dict(os.environ, MPLBACKEND="Agg")
    rows = []
    for name in wanted:
        proj = projects[name]
        out = out_root / name
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        exe = bindir / proj.demo_script
        cmd = [str(exe) if exe.exists() else proj.demo_script, "--out", str(out)]
        print(f"\n===== {name}: {' '.join(cmd)} =====", flush=True)
        t0 = time.time()
        rc = subprocess.run(cmd, env=env).returncode
        dt = time.time() - t0
        summary = {}
        sp = out / "summary.json"
        if sp.is_file():
            try:
                summary = json.loads(sp.read_text())
            except json.JSONDecodeError:
                summary = {}
        picture = summary.get("picture")
        pic_ok = bool(picture) and (out / picture if not os.path.isabs(picture) else pathlib.Path(picture)).is_file()
        ok = rc == 0 and bool(summary) and pic_ok
        status = "ok" if ok else f"FAILED (exit {rc})" if rc else "FAILED (no summary/picture)"
        rows.append((name, status, summary.get("ran", "-"), summary.get("metric", "-"), dt, str(out)))
    print("\n===== demo summary =====")
    print(f"{'package':<10} {'status':<26} {'time':>6}  {'metric':<34} what ran / outputs")
    for name, status, ran, metric, dt, out in rows:
        print(f"{name:<10} {status:<26} {dt:>5.0f}s  {metric:<34} {ran}")
        print(f"{'':<10} {'':<26} {'':>6}  {'':<34} -> {out}")
    return 0 if all(r[1] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
