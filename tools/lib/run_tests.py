"""tools/test: run every test suite (or the named ones) and print one summary.

Suites: ``lint`` (ruff on the whole tree), ``shared``, one per package, ``monorepo`` (tests/).
A suite that collects no test fails. The last line is ``N passed, N failed`` over suites' tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from workspace import ROOT, all_projects

SUMMARY_RE = re.compile(r"(\d+) (passed|failed|errors?|skipped|deselected|xfailed|xpassed)")


def _pytest(paths: list[str], cwd) -> tuple[int, dict[str, int], float]:
    cmd = [sys.executable, "-m", "pytest", "-q", "-m", "not slow and not gpu", "--timeout=900", *paths]
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    dt = time.time() - t0
    sys.stdout.write(proc.stdout)
    counts: dict[str, int] = {}
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
    tail = lines[-1] if lines else ""
    for n, kind in SUMMARY_RE.findall(tail):
        kind = "errors" if kind.startswith("error") else kind
        counts[kind] = counts.get(kind, 0) + int(n)
    return proc.returncode, counts, dt


def main(argv: list[str]) -> int:
    env_names = {p.name: p for p in all_projects()}
    suites = ["lint", "shared", *[n for n in env_names if n != "shared"], "monorepo"]
    wanted = argv or suites
    unknown = [w for w in wanted if w not in suites]
    if unknown:
        print(f"tools/test: unknown suite(s) {unknown}; choose from {suites}", file=sys.stderr)
        return 2
    os.environ.setdefault("TRITON_INTERPRET", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    results = []
    for name in [s for s in suites if s in wanted]:
        print(f"\n===== {name} =====", flush=True)
        if name == "lint":
            t0 = time.time()
            rc = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT).returncode
            results.append((name, "ok" if rc == 0 else "FAILED", {"passed": int(rc == 0), "failed": int(rc != 0)}, time.time() - t0))
            continue
        path = ROOT / "tests" if name == "monorepo" else env_names[name].tests
        if not path.is_dir():
            results.append((name, "FAILED (no tests/ folder)", {"failed": 1}, 0.0))
            continue
        rc, counts, dt = _pytest([str(path)], ROOT)
        if rc == 5:
            status = "FAILED (no tests collected)"
            counts["failed"] = counts.get("failed", 0) + 1
        elif rc != 0:
            status = "FAILED"
            if not counts.get("failed") and not counts.get("errors"):
                counts["failed"] = 1
        else:
            status = "ok"
        results.append((name, status, counts, dt))
    print("\n===== summary =====")
    print(f"{'suite':<12} {'status':<28} {'passed':>7} {'failed':>7} {'skipped':>8} {'time':>8}")
    tot_p = tot_f = tot_s = 0
    for name, status, c, dt in results:
        p, f, s = c.get("passed", 0), c.get("failed", 0) + c.get("errors", 0), c.get("skipped", 0)
        tot_p, tot_f, tot_s = tot_p + p, tot_f + f, tot_s + s
        print(f"{name:<12} {status:<28} {p:>7} {f:>7} {s:>8} {dt:>7.0f}s")
    ok = all(r[1] == "ok" for r in results)
    print(f"{tot_p} passed, {tot_f} failed, {tot_s} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
