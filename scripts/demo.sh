#!/usr/bin/env bash
# The main job of the README: set up .venv if needed, then encode and decode the bundled examples,
# write side-by-side PNGs and print the bit budget (ssgc-ref demo --help for the options).
source "$(dirname "$0")/env.sh"
exec ssgc-ref demo "$@"
