#!/usr/bin/env bash
# CI step: a fresh venv with `pip install .` WITHOUT the diffusion extra (no torch, diffusers or
# safetensors) runs `ssgc-ref info`, `encode` and the preview `decode`, outside the repository.
# Uses pip's cache and whatever index pip is configured with; about a minute when wheels are cached.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${SSGC_PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ssgc-light.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
"$PY" -m venv "$WORK/venv"
V="$WORK/venv/bin"
# A wheel built from a copy of the tree, so no build/ or egg-info lands in the checkout.
cp -r "$ROOT/ssgc_format" "$ROOT/ssgc_ref" "$ROOT/conformance" "$ROOT/pyproject.toml" "$ROOT/setup.py" \
      "$ROOT/README.md" "$ROOT/LICENSE" "$WORK/"
mkdir "$WORK/src" && mv "$WORK"/{ssgc_format,ssgc_ref,conformance,pyproject.toml,setup.py,README.md,LICENSE} "$WORK/src/"
"$V/python" -m pip install --quiet "$WORK/src" > "$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log" >&2; exit 1; }
for p in torch diffusers safetensors; do
  if "$V/python" -c "import $p" 2>/dev/null; then echo "light install: $p is installed" >&2; exit 1; fi
done
cd "$WORK"
"$V/python" - <<'PY'
import numpy as np
from PIL import Image
from skimage import data
Image.fromarray(data.astronaut()[::4, ::4]).save("in.png")
PY
"$V/ssgc-ref" encode in.png -o in.ssgc --roi 40,20,32,32 -q 40 --quiet
"$V/ssgc-ref" info in.ssgc > info.txt
"$V/ssgc-ref" decode in.ssgc -o out.png --quiet
"$V/ssgc-ref" decode "$("$V/python" -c 'import ssgc_conformance, os; print(os.path.join(os.path.dirname(ssgc_conformance.__file__), "vectors", "tiny-model-64x48.ssgc"))')" -o tiny.png > tiny.txt
grep -q "ssgc\[diffusion\]" tiny.txt || { echo "light install: the decoder did not name the extra" >&2; cat tiny.txt >&2; exit 1; }
# Every vector through the installed CLI (preview hashes; every invalid vector must fail).
"$V/python" -m ssgc_conformance.runner --decoder "$V/ssgc-ref decode {input} -o {output} --generator preview --quiet" \
  > conformance.txt || { grep -A1 FAIL conformance.txt >&2; tail -1 conformance.txt >&2; exit 1; }
"$V/python" - <<'PY'
import sys
for m in ("torch", "diffusers", "safetensors"):
    assert m not in sys.modules
import importlib.util
assert importlib.util.find_spec("conformance") is None, "a generic 'conformance' package was installed"
assert importlib.util.find_spec("ssgc_conformance.make_vectors") is None, "developer-only generator in the wheel"
PY
echo "light install (no torch): info, encode, preview decode, conformance runner OK" >&2
