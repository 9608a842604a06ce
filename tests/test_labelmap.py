"""Tests of the LABL payload (spec §4) and label set 1 (Annex A)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_format import labelmap as lm
from ssgc_format.errors import FormatError, InputError, LimitError

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def label_grids(draw, max_side: int = 70):
    """Random grids 1x1..70x70: uniform noise, few-class blobs, all-same, or all 183 values."""
    h = draw(st.integers(1, max_side))
    w = draw(st.integers(1, max_side))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["noise", "blobs", "same", "all"]))
    if kind == "noise":
        return rng.integers(0, lm.NUM_LABELS, (h, w)).astype(np.uint8)
    if kind == "same":
        return np.full((h, w), draw(st.integers(0, lm.UNLABELED)), np.uint8)
    if kind == "all":
        return rng.permutation(np.resize(np.arange(lm.NUM_LABELS, dtype=np.uint8), h * w)).reshape(h, w)
    n = draw(st.integers(1, 15))
    seeds = rng.uniform(0, [h, w], size=(n, 2))
    yy, xx = np.mgrid[0:h, 0:w]
    vor = ((yy[..., None] - seeds[:, 0]) ** 2 + (xx[..., None] - seeds[:, 1]) ** 2).argmin(-1)
    return rng.choice(lm.NUM_LABELS, size=n, replace=False).astype(np.uint8)[vor]


@SETTINGS
@given(label_grids())
def test_round_trip(a):
    data = lm.encode_label_map(a)
    assert not data or data[-1] != 0  # trailing zero bytes dropped (spec §3.6)
    out = lm.decode_label_map(data, *a.shape)
    assert out.dtype == np.uint8 and out.shape == a.shape
    np.testing.assert_array_equal(out, a)


def test_every_label_value_round_trips_in_both_orders():
    a = np.arange(lm.NUM_LABELS, dtype=np.uint8).reshape(3, 61)
    for m in (a, a[::-1, ::-1].copy(), a.T.copy()):
        np.testing.assert_array_equal(lm.decode_label_map(lm.encode_label_map(m), *m.shape), m)


def test_deterministic_and_input_types():
    rng = np.random.default_rng(5)
    a = rng.integers(0, 8, (32, 32)).astype(np.uint8)
    assert lm.encode_label_map(a) == lm.encode_label_map(a.copy())
    assert lm.encode_label_map(a) == lm.encode_label_map(a.astype(np.int64))


def _golden_map() -> np.ndarray:
    """A fixed 20x27 map: four regions, a diagonal boundary, a 1-cell island, an unlabeled corner."""
    y, x = np.mgrid[0:20, 0:27]
    a = np.where(y < 7, 156, np.where(x + y < 25, 168, 123)).astype(np.uint8)  # sky, tree, grass
    a[12:15, 20:24] = 0  # person
    a[3, 10] = 105  # an isolated cloud cell
    a[17:, :4] = lm.UNLABELED
    return a


# SHA-256 of encode_label_map(_golden_map()): changes only if §4 (or constriction's coder) changes.
GOLDEN_SHA256 = "60115e42452b016846d57629087a0984460a657d45b36e951fb756cc04c39d41"
GOLDEN_LENGTH = 19


def test_golden_vector():
    data = lm.encode_label_map(_golden_map())
    assert (len(data), hashlib.sha256(data).hexdigest()) == (GOLDEN_LENGTH, GOLDEN_SHA256)
    np.testing.assert_array_equal(lm.decode_label_map(data, 20, 27), _golden_map())


def test_uniform_map_is_tiny_and_rank_zero_is_cheap():
    a = np.full((64, 64), 156, np.uint8)
    assert len(lm.encode_label_map(a)) <= 8  # one escape + 4095 "same as W" symbols
    b = a.copy()
    b[:, 32:] = 168
    assert len(lm.encode_label_map(b)) < len(lm.encode_label_map(np.random.default_rng(0).integers(
        0, 2, (64, 64)).astype(np.uint8) * 12 + 156))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=64), st.integers(1, 40), st.integers(1, 40))
def test_decode_random_bytes_raises_only_format_error(data, gh, gw):
    try:
        out = lm.decode_label_map(data, gh, gw)
    except FormatError:
        return
    assert out.shape == (gh, gw) and out.dtype == np.uint8 and int(out.max()) <= lm.UNLABELED


@settings(max_examples=30, deadline=None)
@given(label_grids(max_side=24), st.data())
def test_decode_truncated_or_damaged_raises_only_format_error(a, data):
    enc = lm.encode_label_map(a)
    cut = data.draw(st.integers(0, len(enc)))
    damaged = bytearray(enc[:cut])
    if damaged and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(damaged) - 1))
        damaged[i] ^= 1 << data.draw(st.integers(0, 7))
    try:
        out = lm.decode_label_map(bytes(damaged), *a.shape)
    except FormatError as e:
        assert e.chunk == "LABL"
        return
    assert out.shape == a.shape and int(out.max()) <= lm.UNLABELED  # garbage is allowed, no crash


def test_decode_limits_and_empty_grid():
    with pytest.raises(LimitError):
        lm.decode_label_map(b"", 1 << 12, 1 << 12)
    with pytest.raises(FormatError):
        lm.decode_label_map(b"", 0, 5)
    with pytest.raises(FormatError):
        lm.decode_label_map(b"\x00\x01\x00", 2, 2)  # ends with a zero byte (spec §3.6)


@pytest.mark.parametrize("bad", [
    np.zeros((0, 4), np.uint8), np.zeros(5, np.uint8), np.full((2, 2), 183, np.int32),
    np.full((2, 2), -1, np.int16), np.zeros((2, 2), np.float32)])
def test_encode_rejects_bad_maps(bad):
    with pytest.raises(InputError):
        lm.encode_label_map(bad)


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(0, 8))
def test_label_grid_size(width, height, k):
    gh, gw = lm.label_grid_size(width, height, k)
    s = 1 << k
    assert (gh - 1) * s < height <= gh * s and (gw - 1) * s < width <= gw * s
    assert lm.label_grid_size(512, 512, 4) == (32, 32)


@pytest.mark.parametrize("args", [(0, 5, 4), (5, 0, 4), (5, 5, -1), (5, 5, 16)])
def test_label_grid_size_rejects(args):
    with pytest.raises(InputError):
        lm.label_grid_size(*args)


@SETTINGS
@given(st.integers(1, 90), st.integers(1, 90), st.integers(0, 5), st.integers(0, 2**32 - 1))
def test_upsample_replicates_cells_and_crops(width, height, k, seed):
    gh, gw = lm.label_grid_size(width, height, k)
    a = np.random.default_rng(seed).integers(0, lm.NUM_LABELS, (gh, gw)).astype(np.uint8)
    up = lm.upsample_label_map(a, width, height, k)
    assert up.shape == (height, width) and up.dtype == np.uint8
    full = np.repeat(np.repeat(a, 1 << k, axis=0), 1 << k, axis=1)[:height, :width]
    np.testing.assert_array_equal(up, full)


def test_upsample_rejects_wrong_grid():
    with pytest.raises(InputError):
        lm.upsample_label_map(np.zeros((3, 3), np.uint8), 40, 50, 4)  # grid is 4x3


def test_label_names_match_annex_a_and_reference_tsv():
    names = lm.label_names()
    assert len(names) == lm.NUM_LABELS == 183
    assert names[0] == "person" and names[181] == "wood" and names[lm.UNLABELED] == "unlabeled"
    root = Path(__file__).resolve().parents[1]
    annex = (root / "spec" / "annex-a-labels.md").read_text("utf-8")
    for i, name in enumerate(names):
        assert f"| {i} | " in annex and f"| {name} |" in annex, (i, name)


def _spec_decode(data: bytes, grid_h: int, grid_w: int) -> np.ndarray:
    """§4.3.4 transcribed literally: own counts and §3.4 updates, every table built by §3.3."""
    from ssgc_format.entropy import RangeDecoder, StaticModel

    dec = RangeDecoder(data, chunk="LABL")
    absent = -1

    def update(counts, s, increment, limit):  # §3.4
        counts[s] += increment
        if sum(counts) > limit:
            counts[:] = [(c + 1) >> 1 for c in counts]

    label_counts = [1] * 183
    rank_counts: dict[int, list[int]] = {}
    g = [[0] * grid_w for _ in range(grid_h)]

    def label_at(i, j):
        return g[i][j] if (i >= 0 and 0 <= j < grid_w) else absent

    for i in range(grid_h):
        for j in range(grid_w):
            cand, ctx = [], 0
            for v in (label_at(i, j - 1), label_at(i - 1, j), label_at(i - 1, j + 1), label_at(i - 1, j - 1)):
                t = 0
                if v != absent:
                    if v not in cand:
                        cand.append(v)
                    t = cand.index(v) + 1
                ctx = 5 * ctx + t
            k = len(cand)
            if k == 0:
                g[i][j] = dec.decode(StaticModel(label_counts))
                update(label_counts, g[i][j], 32, 8192)
                continue
            counts = rank_counts.setdefault(ctx, [4] + [1] * k)
            assert len(counts) == k + 1  # K(ctx) == k
            rank = dec.decode(StaticModel(counts))
            update(counts, rank, 16, 8192)
            if rank < k:
                g[i][j] = cand[rank]
            else:
                excluding = [0 if s in cand else c for s, c in enumerate(label_counts)]
                g[i][j] = dec.decode(StaticModel(excluding))
                update(label_counts, g[i][j], 32, 8192)
    return np.array(g, dtype=np.uint8)


@settings(max_examples=15, deadline=None)
@given(label_grids(max_side=20))
def test_spec_pseudocode_decodes_like_the_implementation(a):
    data = lm.encode_label_map(a)
    np.testing.assert_array_equal(_spec_decode(data, *a.shape), a)


def test_spec_worked_example():
    data = lm.encode_label_map(np.array([[5, 5, 7], [5, 7, 7]], np.uint8))
    assert data.hex() == "08107c"  # spec §4.5
    assert lm.encode_label_map(_golden_map()).hex() == "da8ac6bdb3bf8b5bb5a2cb1de3d2c9e4f7a940"


def test_spec_pseudocode_with_count_halving():
    # 60x60: the interior "rank 0" context sees > 500 updates, so the rank models halve (§3.4).
    y, x = np.mgrid[0:60, 0:60]
    a = np.where((x - 30) ** 2 + (y - 25) ** 2 < 300, 17, 156).astype(np.uint8)
    a[::7, ::11] = 182
    np.testing.assert_array_equal(_spec_decode(lm.encode_label_map(a), 60, 60), a)
