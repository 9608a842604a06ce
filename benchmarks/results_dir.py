"""Where a benchmark writes its results: ``--out DIR``.

The default is ``out/benchmarks/`` at the top of the checkout (ignored by git), so running a
benchmark never overwrites the committed results in ``benchmarks/results/``; pass
``--out benchmarks/results`` to refresh those on purpose.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMITTED = Path(__file__).resolve().parent / "results"
DEFAULT = Path(__file__).resolve().parents[1] / "out" / "benchmarks"
HELP = f"folder for the results (default: {DEFAULT}; '--out benchmarks/results' updates the committed ones)"


def add_out_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT, help=HELP)


def results_path(args: argparse.Namespace, name: str) -> Path:
    """The file ``name`` in the folder given by ``--out`` (created if missing)."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    return out / name


def results_file(args: argparse.Namespace, name: str) -> Path:
    """Like ``results_path``, for a benchmark whose ``--out`` named its JSON file before it named a
    folder: an ``--out`` ending in ``.json`` is still taken as that file."""
    out: Path = args.out
    if out.suffix == ".json":
        out.parent.mkdir(parents=True, exist_ok=True)
        return out
    return results_path(args, name)


def results_dir(argv: list[str] | None = None) -> Path:
    """For a benchmark without its own options: parse ``--out DIR`` (and ``--help``), create the
    folder and return it."""
    parser = argparse.ArgumentParser(description=(sys.modules["__main__"].__doc__ or "").split("\n\n")[0])
    add_out_argument(parser)
    out: Path = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    return out
