"""What the monorepo holds: pkg-shared and every packages/<name>/ with a pyproject.toml."""

from __future__ import annotations

import dataclasses
import pathlib
import re

import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class Project:
    name: str  # short name: shared, reid, ...
    path: pathlib.Path
    dist: str  # pkg-reid
    module: str  # pkg_reid
    scripts: dict[str, str]
    dependencies: list[str]
    extras: dict[str, list[str]]

    @property
    def tests(self) -> pathlib.Path:
        return self.path / "tests"

    @property
    def demo_script(self) -> str | None:
        name = f"{self.name}-demo"
        return name if name in self.scripts else None


def _load(path: pathlib.Path, name: str) -> Project:
    data = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
    proj = data.get("project", {})
    dist = proj.get("name", f"pkg-{name}")
    return Project(
        name=name,
        path=path,
        dist=dist,
        module=dist.replace("-", "_"),
        scripts=dict(proj.get("scripts", {})),
        dependencies=list(proj.get("dependencies", [])),
        extras={k: list(v) for k, v in proj.get("optional-dependencies", {}).items()},
    )


def shared() -> Project:
    return _load(ROOT / "shared", "shared")


def packages() -> list[Project]:
    return [_load(pp.parent, pp.parent.name) for pp in sorted((ROOT / "packages").glob("*/pyproject.toml"))]


def all_projects() -> list[Project]:
    return [shared(), *packages()]


def requirement_name(req: str) -> str:
    """Normalised distribution name of a PEP 508 requirement string."""
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    if not m:
        raise ValueError(f"cannot parse requirement {req!r}")
    return re.sub(r"[-_.]+", "-", m.group(1)).lower()
