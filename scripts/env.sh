# Sourced by scripts/demo.sh and scripts/test.sh: creates .venv on first use and installs the
# project into it, CPU torch first (an unpinned torch would pull a multi-GB CUDA build).
# Re-installs only when pyproject.toml changed. Set SSGC_PYTHON to choose the interpreter.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${SSGC_PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.ssgc-installed"
WANT="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "[setup] installing dependencies into $VENV (first run takes a few minutes)" >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
  if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    "$VENV/bin/python" -m pip install --quiet "torch==2.13.0" >&2
  fi
  # Everything: the diffusion extra (torch, diffusers, safetensors), tests and benchmarks.
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT[diffusion,test,bench]" >&2
  echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
