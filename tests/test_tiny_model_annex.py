"""Annex B.5 is complete: the tiny model's weights regenerate from the spec's table alone.

The table of spec/annex-b-tiny-tensors.md (names, shapes, rules; stream = row) plus the Annex C
noise give the weights; their canonical digest (B.3, computed here from the text's definition)
must be profile 2's digest of Annex B.1.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import numpy as np

from ssgc_format.noise import gaussian_noise

SPEC = Path(__file__).resolve().parents[1] / "spec"
SEED = 0x53534743


def _table() -> list[tuple[int, str, tuple[int, ...], str]]:
    rows = []
    for m in re.finditer(r"^\| (\d+) \| `([^`]+)` \| ([0-9x]+) \| (\w+) \|$",
                         (SPEC / "annex-b-tiny-tensors.md").read_text("utf-8"), re.M):
        rows.append((int(m.group(1)), m.group(2), tuple(int(d) for d in m.group(3).split("x")), m.group(4)))
    return rows


def test_table_regenerates_the_pinned_digest():
    rows = _table()
    assert [r[0] for r in rows] == list(range(len(rows))) and len(rows) == 426
    h = hashlib.sha256()
    for j, full, shape, rule in rows:
        n = gaussian_noise(SEED, shape, stream=j).astype(np.float64)
        if rule == "norm":
            w = 1.0 + 0.1 * n
        elif rule == "bias":
            w = 0.1 * n
        elif rule == "unit":
            w = n
        else:
            assert rule == "fan_in"
            w = n * (1.0 / math.sqrt(int(np.prod(shape[1:]))))
        h.update(f"{full}:{'x'.join(map(str, shape))}:".encode())
        h.update(w.astype("<f4").tobytes())
    pinned = re.search(r"\| 2 \| ssgc-tiny-conformance \|[^|]*\| `([0-9a-f]{64})` \|",
                       (SPEC / "annex-b-profiles.md").read_text("utf-8")).group(1)
    assert h.hexdigest() == pinned


def test_table_matches_the_reference_generator():
    from conformance.make_tiny_model import tensor_specs

    assert [(f"{c}/{n}", s, r) for c, n, s, r in tensor_specs()] == [(f, s, r) for _, f, s, r in _table()]
