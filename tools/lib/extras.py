"""Print the ``[extra1,extra2]`` suffix naming every optional extra of a pyproject (for tools/setup)."""

import sys

import tomllib

with open(sys.argv[1], "rb") as fh:
    data = tomllib.load(fh)
extras = sorted(data.get("project", {}).get("optional-dependencies", {}))
print(f"[{','.join(extras)}]" if extras else "")
