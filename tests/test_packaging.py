"""Each package installs alone: wheel builds, console scripts, and a dependency closure that pulls
pkg-shared and the package's own dependencies but nothing of the other domain packages.

The closure comes from ``pip install --dry-run --ignore-installed --report`` (resolution only,
no environment is created), which lists everything a fresh venv would receive.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import pathlib
import subprocess
import sys
import zipfile

import pytest
from workspace import ROOT, all_projects, packages, requirement_name

PY = sys.executable
BIN = pathlib.Path(PY).parent
PACKAGES = packages()


def _pip(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    cmd = [PY, "-m", "pip", "--disable-pip-version-check", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def install_reports(tmp_path_factory):
    """Dry-run install reports for ``./shared ./packages/<name>``, resolved in parallel."""
    out = tmp_path_factory.mktemp("reports")

    def one(proj):
        report = out / f"{proj.name}.json"
        targets = ["./shared"] if proj.name == "shared" else ["./shared", f"./packages/{proj.name}"]
        r = _pip("install", "-q", "--dry-run", "--ignore-installed", "--no-build-isolation",
                 "-c", "tools/constraints.txt", "--report", str(report), *targets)
        if r.returncode != 0:
            return proj.name, None, r.stderr[-3000:]
        data = json.loads(report.read_text())
        return proj.name, {requirement_name(i["metadata"]["name"]) for i in data["install"]}, ""

    with cf.ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(one, all_projects()))
    return {name: (names, err) for name, names, err in results}


@pytest.mark.parametrize("proj", all_projects(), ids=lambda p: p.name)
def test_install_alone_pulls_only_its_closure(proj, install_reports):
    names, err = install_reports[proj.name]
    assert names is not None, f"pip could not resolve {proj.dist} alone:\n{err}"
    domain = {n for n in names if n.startswith("pkg-")}
    expected = {"pkg-shared"} if proj.name == "shared" else {"pkg-shared", proj.dist}
    assert domain == expected, f"installing {proj.dist} alone brings {sorted(domain - expected)}"
    direct = {requirement_name(r) for r in proj.dependencies}
    assert direct <= names, f"declared dependencies missing from the closure: {sorted(direct - names)}"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheels")
    targets = [str(p.path) for p in all_projects()]
    r = _pip("wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), *targets)
    assert r.returncode == 0, r.stderr[-3000:]
    return {w.name.split("-")[0]: w for w in out.glob("*.whl")}


@pytest.mark.parametrize("proj", all_projects(), ids=lambda p: p.name)
def test_wheel_builds_with_scripts_and_configs(proj, wheels):
    whl = wheels.get(proj.module)
    assert whl is not None, f"no wheel built for {proj.dist}: {sorted(wheels)}"
    with zipfile.ZipFile(whl) as zf:
        names = zf.namelist()
        assert f"{proj.module}/__init__.py" in names
        assert not any(n.startswith("tests/") for n in names), "tests must not ship in the wheel"
        ep = [n for n in names if n.endswith("entry_points.txt")]
        if proj.scripts:
            text = zf.read(ep[0]).decode()
            for script in proj.scripts:
                assert f"{script}=" in text.replace(" ", ""), f"{script} missing from entry_points.txt"
        src_yaml = {p.relative_to(proj.path / "src").as_posix() for p in (proj.path / "src").rglob("*.yaml")}
        assert src_yaml <= set(names), f"YAML recipes missing from the wheel: {sorted(src_yaml - set(names))}"


SCRIPTS = [(p.name, s) for p in PACKAGES for s in p.scripts]


@pytest.fixture(scope="module")
def help_outputs():
    def one(script):
        exe = BIN / script
        if not exe.exists():
            return script, None, f"{exe} not installed (run tools/setup)"
        r = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=300,
                           env={"PATH": str(BIN), "MPLBACKEND": "Agg", "HOME": str(ROOT)})
        return script, r.returncode, r.stdout + r.stderr

    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        return {s: (rc, out) for s, rc, out in pool.map(one, [s for _, s in SCRIPTS])}


@pytest.mark.parametrize("pkg, script", SCRIPTS, ids=[s for _, s in SCRIPTS])
def test_console_script_answers_help(pkg, script, help_outputs):
    rc, out = help_outputs[script]
    assert rc == 0, f"{script} --help failed:\n{out[-2000:]}"
    assert "usage" in out.lower()
