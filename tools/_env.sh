# Sourced by the tools/ scripts: find the repo, make sure .venv exists and is up to date.
# Re-installs only when a pyproject.toml or the constraints file changed (a stamp holds their hash).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PKG_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
export PYTHONDONTWRITEBYTECODE=1

_stamp_hash() {
  (cd "$ROOT" && cat tools/constraints.txt shared/pyproject.toml packages/*/pyproject.toml 2>/dev/null; ls -d packages/*/ 2>/dev/null) | sha256sum | cut -c1-16
}

ensure_venv() {
  local want have=""
  want="$(_stamp_hash)"
  [ -f "$VENV/.pkg-stamp" ] && have="$(cat "$VENV/.pkg-stamp")"
  if [ -x "$PY" ] && [ "$want" = "$have" ]; then
    return 0
  fi
  "$ROOT/tools/setup"
}
