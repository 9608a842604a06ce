"""The conformance data a wheel must carry (issue 8: ship the generation .npz vectors)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def test_conformance_data_is_package_data():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = cfg["tool"]["setuptools"]["package-data"]["ssgc_conformance"]
    shipped = {p for pat in patterns for p in (ROOT / "conformance").glob(pat)}
    needed = (list((ROOT / "conformance" / "models" / "generation").glob("*.npz"))
              + [p for p in (ROOT / "conformance" / "models" / "tiny").rglob("*") if p.is_file()]
              + list((ROOT / "conformance" / "vectors").glob("*.ssgc")))
    assert len(needed) > 10
    missing = [str(p.relative_to(ROOT)) for p in needed if p not in shipped]
    assert not missing, missing
