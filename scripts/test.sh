#!/usr/bin/env bash
# The test command of the README and of CI: set up .venv if needed, type-check the bitstream layer
# and the public API (mypy --strict), check that a light install (no torch) runs info, encode and
# the preview decode, then run the whole suite (last, so its summary closes the output).
# SSGC_SKIP_LIGHT=1 skips the light install (it builds a fresh venv, ~1-2 minutes); arguments go
# to pytest and skip the two checks.
source "$(dirname "$0")/env.sh"
if [ "$#" -eq 0 ]; then
  python -m mypy --strict ssgc_format
  python -m mypy --strict --follow-imports=silent ssgc_ref/api.py ssgc_ref/fileio.py ssgc_ref/progress.py \
    ssgc_ref/pillow_plugin.py ssgc_ref/__init__.py ssgc_ref/cli/__init__.py ssgc_ref/visualize.py ssgc_ref/report.py \
    ssgc_ref/analysis/image_io.py
  if [ "${SSGC_SKIP_LIGHT:-0}" != "1" ]; then
    bash "$(dirname "$0")/light_install.sh"
  fi
fi
exec python -m pytest -q "$@"
