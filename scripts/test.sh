#!/usr/bin/env bash
# The test command of the README and of CI: set up .venv if needed, then run the whole suite.
source "$(dirname "$0")/env.sh"
exec python -m pytest -q "$@"
