"""tools/new-package NAME "one-line description": scaffold packages/NAME/ in the house layout.

Nothing else needs editing: tools/setup, tools/test, tools/demo and CI discover packages by
``packages/*/pyproject.toml``.
"""

from __future__ import annotations

import re
import sys

from workspace import ROOT

PYPROJECT = """\
[build-system]
requires = ["poetry-core>=2.0,<3"]
build-backend = "poetry.core.masonry.api"

[project]
name = "pkg-{name}"
version = "0.1.0"
description = "{description}"
readme = "README.md"
requires-python = ">=3.10"
license = "Apache-2.0"
dependencies = [
  "pkg-shared>=0.1,<0.2",
  "torch>=2.4",
  "numpy>=1.26",
  "pyyaml>=6",
]

[project.optional-dependencies]
onnx = ["onnx>=1.16", "onnxruntime>=1.18"]
test = ["pytest>=8"]

[project.scripts]
{name}-demo = "pkg_{name}.cli.demo:main"

[tool.poetry]
packages = [{{ include = "pkg_{name}", from = "src" }}]

[tool.poetry.dependencies]
pkg-shared = {{ path = "../../shared", develop = true }}
"""

INIT = '''\
"""{description}"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pkg-{name}")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0"
'''

README = """\
# pkg-{name}

{description}

## Install

```bash
pip install ./shared ./packages/{name}          # from the repository root
```

## Commands

| command | what it does |
|---|---|
| `{name}-demo --out DIR` | end-to-end demo on generated data |
"""


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not re.fullmatch(r"[a-z][a-z0-9]*", argv[0]):
        print('usage: tools/new-package NAME "one-line description"   (NAME: lowercase letters/digits)', file=sys.stderr)
        return 2
    name, description = argv
    pkg = ROOT / "packages" / name
    if pkg.exists():
        print(f"tools/new-package: {pkg} already exists", file=sys.stderr)
        return 2
    src = pkg / "src" / f"pkg_{name}"
    for d in (src / "cli", src / "configs", pkg / "tests", pkg / "benchmarks"):
        d.mkdir(parents=True)
    fmt = {"name": name, "description": description.replace('"', "'")}
    (pkg / "pyproject.toml").write_text(PYPROJECT.format(**fmt))
    (pkg / "README.md").write_text(README.format(**fmt))
    (src / "__init__.py").write_text(INIT.format(**fmt))
    (src / "cli" / "__init__.py").write_text('"""Console scripts: thin wrappers over the library."""\n')
    (src / "configs" / "__init__.py").write_text('"""YAML recipes shipped inside the wheel."""\n')
    print(f"created {pkg.relative_to(ROOT)}; next: write pkg_{name}/cli/demo.py and tests/, then tools/setup")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
