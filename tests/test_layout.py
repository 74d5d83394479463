"""Every package follows the house layout, so tools and CI can discover it without edits."""

from __future__ import annotations

import pytest
import tomllib
from workspace import ROOT, all_projects, packages

PACKAGES = packages()


@pytest.mark.parametrize("proj", all_projects(), ids=lambda p: p.name)
def test_pyproject_uses_poetry_core_and_src_layout(proj):
    data = tomllib.loads((proj.path / "pyproject.toml").read_text())
    assert data["build-system"]["build-backend"] == "poetry.core.masonry.api"
    assert any(r.startswith("poetry-core>=2") for r in data["build-system"]["requires"])
    assert data["project"]["name"] == proj.dist
    include = data["tool"]["poetry"]["packages"]
    assert {"include": proj.module, "from": "src"} in include
    assert (proj.path / "src" / proj.module / "__init__.py").is_file()
    assert (proj.path / "README.md").is_file()
    assert (proj.path / "tests").is_dir()


@pytest.mark.parametrize("proj", PACKAGES, ids=lambda p: p.name)
def test_package_layout_and_scripts(proj):
    assert proj.dist == f"pkg-{proj.name}"
    assert proj.scripts, f"{proj.dist} has no console scripts"
    bad = [s for s in proj.scripts if not s.startswith(f"{proj.name}-")]
    assert not bad, f"scripts must start with '{proj.name}-': {bad}"
    assert proj.demo_script, f"{proj.dist} needs a '{proj.name}-demo' script (tools/demo runs it)"
    assert (proj.path / "benchmarks").is_dir()
    assert (proj.path / "src" / proj.module / "configs").is_dir()
    data = tomllib.loads((proj.path / "pyproject.toml").read_text())
    assert data["tool"]["poetry"]["dependencies"]["pkg-shared"] == {"path": "../../shared", "develop": True}


@pytest.mark.parametrize("proj", all_projects(), ids=lambda p: p.name)
def test_tests_folders_have_no_init_and_unique_names(proj):
    assert not list(proj.tests.rglob("__init__.py")), "tests/ folders must not be packages (import-mode=importlib)"


def test_test_file_names_are_unique_across_the_monorepo():
    seen: dict[str, str] = {}
    dups = []
    for proj in all_projects():
        for f in proj.tests.rglob("test_*.py"):
            if f.name in seen:
                dups.append((f.name, seen[f.name], proj.name))
            seen[f.name] = proj.name
    assert not dups, dups


def test_root_pyproject_is_not_a_package():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "project" not in data and "build-system" not in data
    assert data["tool"]["poetry"]["package-mode"] is False
    listed = set(data["tool"]["poetry"]["group"]["dev"]["dependencies"])
    for proj in all_projects():
        assert proj.dist in listed, f"add {proj.dist} to the root poetry dev group"


def test_constraints_pin_the_on_disk_torch():
    text = (ROOT / "tools" / "constraints.txt").read_text()
    for pin in ("torch==2.14.1", "torchvision==0.29.1", "torchaudio==2.11.0"):
        assert pin in text
