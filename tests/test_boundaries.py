"""Import boundaries and declared dependencies, read from the source with ast (nothing imported)."""

from __future__ import annotations

import ast
import importlib.metadata as md
import pathlib
import sys

import pytest
from workspace import all_projects, packages, requirement_name

PROJECTS = all_projects()


def _imports(src_dir: pathlib.Path) -> dict[str, list[str]]:
    """Top-level module name -> files importing it (absolute imports only)."""
    found: dict[str, list[str]] = {}
    for py in src_dir.rglob("*.py"):
        tree = ast.parse(py.read_text(encoding="utf-8"), filename=str(py))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for n in names:
                found.setdefault(n.split(".")[0], []).append(str(py.relative_to(src_dir.parents[1])))
    return found


@pytest.mark.parametrize("proj", PROJECTS, ids=lambda p: p.name)
def test_no_domain_package_imports_another(proj):
    mods = _imports(proj.path / "src")
    foreign = {m: f for m, f in mods.items() if m.startswith("pkg_") and m not in (proj.module, "pkg_shared")}
    if proj.name == "shared":
        foreign = {m: f for m, f in mods.items() if m.startswith("pkg_") and m != "pkg_shared"}
    assert not foreign, f"{proj.dist} imports other domain packages: {foreign}"


def _declared(proj) -> set[str]:
    reqs = list(proj.dependencies) + [r for extra in proj.extras.values() for r in extra]
    return {requirement_name(r) for r in reqs}


def _module_to_dists() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for mod, dists in md.packages_distributions().items():
        out[mod] = {requirement_name(d) for d in dists}
    return out


# modules that come with a declared distribution under another top-level name
_IMPLIED = {"triton": "torch"}


@pytest.mark.parametrize("proj", PROJECTS, ids=lambda p: p.name)
def test_declared_dependencies_cover_imports(proj):
    mod2dist = _module_to_dists()
    declared = _declared(proj)
    stdlib = set(sys.stdlib_module_names)
    missing = {}
    for mod, files in _imports(proj.path / "src").items():
        if mod in stdlib or mod == proj.module or mod == "__future__":
            continue
        if mod == "pkg_shared":
            ok = "pkg-shared" in declared or proj.name == "shared"
        elif mod in _IMPLIED:
            ok = _IMPLIED[mod] in declared
        else:
            dists = mod2dist.get(mod, set())
            ok = bool(dists & declared)
        if not ok:
            missing[mod] = sorted(set(files))[:3]
    assert not missing, f"{proj.dist}: imported but not declared in pyproject (dependencies or extras): {missing}"


@pytest.mark.parametrize("proj", packages(), ids=lambda p: p.name)
def test_depends_on_pkg_shared_with_a_compatible_range(proj):
    shared_reqs = [r for r in proj.dependencies if requirement_name(r) == "pkg-shared"]
    assert shared_reqs, f"{proj.dist} must depend on pkg-shared"
    assert ">=0.1" in shared_reqs[0] and "<0.2" in shared_reqs[0], shared_reqs[0]


@pytest.mark.parametrize("proj", PROJECTS, ids=lambda p: p.name)
def test_ranges_not_exact_pins(proj):
    reqs = list(proj.dependencies) + [r for extra in proj.extras.values() for r in extra]
    pinned = [r for r in reqs if "==" in r]
    assert not pinned, f"{proj.dist} pins exact versions (use ranges): {pinned}"
