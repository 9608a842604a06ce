#!/usr/bin/env bash
# The test command of the README and of CI: set up .venv if needed, run the whole suite, the type
# check of the public API, then check that a light install (no torch) runs info, encode and the
# preview decode. SSGC_SKIP_LIGHT=1 skips that last step (it builds a fresh venv, ~1-2 minutes).
source "$(dirname "$0")/env.sh"
python -m pytest -q "$@"
# ssgc_ref's public API; the lead extends this to ssgc_format (mypy --strict) after the merges.
python -m mypy --strict --follow-imports=silent ssgc_ref/api.py ssgc_ref/fileio.py ssgc_ref/progress.py \
  ssgc_ref/pillow_plugin.py ssgc_ref/__init__.py ssgc_ref/cli/__init__.py ssgc_ref/visualize.py ssgc_ref/report.py \
  ssgc_ref/analysis/image_io.py
if [ "${SSGC_SKIP_LIGHT:-0}" != "1" ] && [ "$#" -eq 0 ]; then
  bash "$(dirname "$0")/light_install.sh"
fi
