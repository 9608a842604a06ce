"""MASK payload (spec §6): contours, fill rule, grid, malformed input."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssgc_format import mask as mk
from ssgc_format.contour import (
    EAST,
    LEFT,
    RIGHT,
    SOUTH,
    STEP_X,
    STEP_Y,
    STRAIGHT,
    edge_count,
    trace_contours,
)
from ssgc_format.entropy import RangeEncoder
from ssgc_format.errors import FormatError, InputError, LimitError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- strategies --------------------------------------------------------------------------------

@st.composite
def grids(draw, max_side: int = 64) -> np.ndarray:
    """Any bool grid: random density, checkerboards, rectangles with holes, all set/unset."""
    h = draw(st.integers(1, max_side))
    w = draw(st.integers(1, max_side))
    kind = draw(st.sampled_from(["random", "checker", "rects", "full", "empty"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "random":
        return rng.random((h, w)) < draw(st.floats(0.0, 1.0))
    if kind == "checker":
        yy, xx = np.mgrid[0:h, 0:w]
        return ((yy // draw(st.integers(1, 3)) + xx // draw(st.integers(1, 3))) % 2).astype(bool)
    if kind == "rects":  # components, holes cut into them, components inside holes
        g = np.zeros((h, w), dtype=bool)
        for _ in range(draw(st.integers(1, 6))):
            y0, x0 = rng.integers(0, h), rng.integers(0, w)
            y1, x1 = rng.integers(y0, h) + 1, rng.integers(x0, w) + 1
            g[y0:y1, x0:x1] = rng.random() < 0.6
        return g
    return np.full((h, w), kind == "full")


def _image_size(grid: np.ndarray, k: int, shrink_x: int, shrink_y: int) -> tuple[int, int]:
    """A (W, H) whose mask grid at cell 2^k has the shape of ``grid`` (partial edge cells)."""
    mh, mw = grid.shape
    c = 1 << k
    return mw * c - shrink_x % c, mh * c - shrink_y % c


# ---- round trip --------------------------------------------------------------------------------

@SETTINGS
@given(grids(), st.integers(0, 3), st.integers(0, 7), st.integers(0, 7))
def test_round_trip_any_grid(grid, k, sx, sy):
    width, height = _image_size(grid, k, sx, sy)
    assert mk.mask_grid_size(width, height, k) == (grid.shape[1], grid.shape[0])
    data = mk.encode_mask(grid, k)
    assert not data or data[-1] != 0  # trailing zero bytes dropped (spec §3.6)
    cell_log2, back = mk.decode_mask(data, width, height)
    assert cell_log2 == k
    assert back.dtype == np.bool_ and np.array_equal(back, grid)
    assert mk.encode_mask(grid, k) == data  # deterministic


@pytest.mark.parametrize("grid", [
    np.zeros((1, 1), bool), np.ones((1, 1), bool), np.ones((7, 5), bool), np.zeros((3, 9), bool),
    np.array([[1, 0], [0, 1]], bool), np.array([[0, 1], [1, 0]], bool),
    (np.indices((64, 64)).sum(0) % 2).astype(bool),
    (np.indices((63, 64)).sum(0) % 2 == 0),
])
@pytest.mark.parametrize("k", range(4))
def test_round_trip_edge_cases(grid, k):
    width, height = _image_size(grid, k, 1, 0)
    assert np.array_equal(mk.decode_mask(mk.encode_mask(grid, k), width, height)[1], grid)


# ---- tracing (informative, but the encoder output must be deterministic) ------------------------

def _walk(x0, y0, dirs):
    x, y = x0, y0
    for d in dirs:
        yield x, y, d
        x, y = x + STEP_X[d], y + STEP_Y[d]
    assert (x, y) == (x0, y0), "contour does not close"


@SETTINGS
@given(grids(max_side=24))
def test_contours_are_the_oriented_boundary(grid):
    mh, mw = grid.shape
    padded = np.zeros((mh + 2, mw + 2), bool)
    padded[1:-1, 1:-1] = grid
    right = ((0, 0), (-1, 0), (-1, -1), (0, -1))
    left = ((0, -1), (0, 0), (-1, 0), (-1, -1))
    contours = trace_contours(grid)
    starts = [y * (mw + 1) + x for x, y, _ in contours]
    assert starts == sorted(set(starts))  # raster order, distinct start corners
    edges = set()
    for x0, y0, dirs in contours:
        corners = [(y, x) for x, y, _ in _walk(x0, y0, dirs)]
        assert min(corners) == (y0, x0)  # starts at its top-left corner
        assert dirs[0] in (EAST, SOUTH) and len(dirs) >= 4
        for x, y, d in _walk(x0, y0, dirs):
            (rx, ry), (lx, ly) = right[d], left[d]
            assert padded[y + ry + 1, x + rx + 1] and not padded[y + ly + 1, x + lx + 1]
            edge = (min(x, x + STEP_X[d]), min(y, y + STEP_Y[d]), d & 1)
            assert edge not in edges
            edges.add(edge)
    n_boundary = int((padded[1:, 1:-1] != padded[:-1, 1:-1]).sum()
                     + (padded[1:-1, 1:] != padded[1:-1, :-1]).sum())
    assert len(edges) == n_boundary <= edge_count(mw, mh)


def test_diagonal_cells_are_separate_contours_and_holes_are_traced():
    assert len(trace_contours(np.array([[1, 0], [0, 1]], bool))) == 2  # set cells 4-connected
    assert len(trace_contours(np.array([[0, 1], [1, 0]], bool))) == 2
    ring = np.ones((3, 3), bool)
    ring[1, 1] = False
    (x0, y0, outer), (x1, y1, hole) = trace_contours(ring)
    assert (x0, y0, outer[0], len(outer)) == (0, 0, EAST, 12)
    assert (x1, y1, hole[0], len(hole)) == (1, 1, SOUTH, 4)  # hole: anticlockwise on screen
    # unset cells touching diagonally inside a set block are 8-connected: ONE hole contour
    g = np.ones((4, 4), bool)
    g[1, 1] = g[2, 2] = False
    assert [len(d) for *_, d in trace_contours(g)] == [16, 8]


# ---- grid, coarsening, rasterization -----------------------------------------------------------

@SETTINGS
@given(st.integers(1, 70), st.integers(1, 70), st.integers(0, 3), st.integers(0, 2**32 - 1))
def test_coarsen_covers_and_rasterize_replicates(width, height, k, seed):
    rng = np.random.default_rng(seed)
    full = rng.random((height, width)) < rng.random() * 0.2
    grid = mk.coarsen_mask(full, k)
    assert grid.shape == mk.mask_grid_size(width, height, k)[::-1]
    raster = mk.rasterize_mask(grid, k, width, height)
    assert raster.shape == (height, width) and raster.dtype == np.bool_
    assert not (full & ~raster).any()  # S is covered
    yy, xx = np.mgrid[0:height, 0:width]
    assert np.array_equal(raster, grid[yy >> k, xx >> k])
    assert np.array_equal(mk.coarsen_mask(raster, k), grid)  # every cell has >= 1 pixel
    if k == 0:
        assert np.array_equal(grid, full)


def test_grid_size_and_input_errors():
    assert mk.mask_grid_size(512, 512, 3) == (64, 64)
    assert mk.mask_grid_size(513, 1, 3) == (65, 1)
    assert mk.mask_grid_size(1, 1, 0) == (1, 1)
    with pytest.raises(InputError):
        mk.encode_mask(np.zeros((2, 2), bool), 4)
    with pytest.raises(InputError):
        mk.encode_mask(np.zeros((2, 2), np.uint8), 0)
    with pytest.raises(InputError):
        mk.encode_mask(np.zeros((0, 2), bool), 0)
    with pytest.raises(InputError):
        mk.rasterize_mask(np.zeros((2, 2), bool), 1, 5, 4)  # grid should be 2 rows, 3 columns


# ---- golden bytes ------------------------------------------------------------------------------

def _golden_mask() -> np.ndarray:
    """A 40x30 mask with a ring (hole), a separate blob and two diagonal-touching cells."""
    yy, xx = np.mgrid[0:30, 0:40]
    r2 = (xx - 12) ** 2 + (yy - 14) ** 2
    m = (r2 <= 100) & (r2 > 16)
    m |= ((xx - 31) ** 2 // 4 + (yy - 8) ** 2) <= 20
    m[25, 30] = m[26, 31] = True
    return m


GOLDEN = {  # SHA-256 of encode_mask(coarsen_mask(_golden_mask(), k), k): changes mean a format change
    0: "e5f68f0c8f4568a5f596d68714305b988121c3d52a40ac82ddb125a916cc0393",
    1: "0322ed2f78de1de4f7a8555adc3b37b6d5d357c238cbcd4f443f0be00cc48cce",
    2: "36e31cd8f99dacfcdb09e89f5a7a42a7447aac639783e6470c1e7ddb0c6297a8",
    3: "87cabb614642eabaa55099bf98063657df7c6e92b0fd91dada7509a756dc0185",
}


@pytest.mark.parametrize("k", range(4))
def test_golden_bytes(k):
    data = mk.encode_mask(mk.coarsen_mask(_golden_mask(), k), k)
    assert hashlib.sha256(data).hexdigest() == GOLDEN[k]


def test_spec_worked_example():
    """§6.8: the ring with a hole on an 8x6 image at k = 1."""
    grid = np.array([[0, 1, 1, 1], [0, 1, 0, 1], [0, 1, 1, 1]], bool)
    data = mk.encode_mask(grid, 1)
    assert data == bytes.fromhex("6049b2dc02")
    k, back = mk.decode_mask(data, 8, 6)
    assert k == 1 and np.array_equal(back, grid)
    expected = np.zeros((6, 8), bool)
    expected[:, 2:8] = True
    expected[2:4, 4:6] = False
    assert np.array_equal(mk.rasterize_mask(back, 1, 8, 6), expected)


# ---- a transcription of the spec's pseudo-code (§6.2-§6.4, §6.6), loops and all ----------------

def decode_per_spec(data: bytes, W: int, H: int) -> np.ndarray:
    from ssgc_format.entropy import AdaptiveModel, RangeDecoder, StaticModel

    r = RangeDecoder(data, chunk="MASK")
    k = r.decode_bits(2)
    c = 1 << k
    mw, mh = (W + c - 1) // c, (H + c - 1) // c
    E = 2 * mw * mh + mw + mh
    max_steps = min(E, 2 ** 20)
    max_contours = max_steps // 4
    prefix = r.decode(StaticModel.uniform(max_contours.bit_length() + 1))
    n = prefix if prefix < 2 else (1 << (prefix - 1)) | r.decode_bits(prefix - 1)
    assert n <= max_contours
    DIR = AdaptiveModel(2, increment=24, limit=256)
    TURN = [AdaptiveModel(3, increment=24, limit=256) for _ in range(45)]
    dx, dy, DELTA = (1, 0, -1, 0), (0, 1, 0, -1), (0, 3, 1)
    used, V, steps, s_prev = [0] * E, [], 0, -1
    for _ in range(n):
        remaining = (mw + 1) * (mh + 1) - s_prev - 1
        assert remaining >= 1
        delta = r.decode_bits((remaining - 1).bit_length()) if remaining >= 2 else 0
        assert delta < remaining
        s_prev = s_prev + 1 + delta
        x0, y0 = s_prev % (mw + 1), s_prev // (mw + 1)
        x, y, d, length = x0, y0, (0 if r.decode(DIR) == 0 else 1), 0
        t1 = t2 = 0
        run = prev_run = 0
        while True:
            nx, ny = x + dx[d], y + dy[d]
            assert 0 <= nx <= mw and 0 <= ny <= mh
            if d in (1, 3):
                top = min(y, ny)
                ident = (mh + 1) * mw + top * (mw + 1) + x
                V.append((x, top))
            else:
                ident = y * mw + min(x, nx)
            assert not used[ident]
            used[ident] = 1
            length, steps = length + 1, steps + 1
            assert steps <= max_steps
            x, y = nx, ny
            if (x, y) == (x0, y0):
                break
            rel = 4 if prev_run == 0 else min(max(run - prev_run, -2), 1) + 2
            t = r.decode(TURN[(3 * t1 + t2) * 5 + rel])
            d = (d + DELTA[t]) & 3
            if t == 0:
                run += 1
            else:
                if run > 0:
                    prev_run = run
                run = 0
            t2, t1 = t1, t
        assert length >= 4
    T = [[0] * (mw + 1) for _ in range(mh)]
    for x, top in V:
        T[top][x] = 1
    g = [[0] * mw for _ in range(mh)]
    for j in range(mh):
        p = 0
        for i in range(mw):
            p ^= T[j][i]
            g[j][i] = p
    return np.array([[g[y >> k][x >> k] for x in range(W)] for y in range(H)], dtype=bool)


@settings(max_examples=25, deadline=None)
@given(grids(max_side=24), st.integers(0, 3), st.integers(0, 7), st.integers(0, 7))
def test_spec_transcription_decodes_the_same(grid, k, sx, sy):
    width, height = _image_size(grid, k, sx, sy)
    data = mk.encode_mask(grid, k)
    _, back = mk.decode_mask(data, width, height)
    assert np.array_equal(decode_per_spec(data, width, height),
                          mk.rasterize_mask(back, k, width, height))


# ---- malformed payloads ------------------------------------------------------------------------

def _craft(k, count, contours=(), *, mw, mh, prefix=None):
    """Write MASK syntax elements directly (§6.2), valid or not."""
    enc = RangeEncoder()
    enc.encode_bits(k, 2)
    max_contours = mk.max_steps(mw, mh) // 4
    p = count.bit_length() if prefix is None else prefix
    enc.encode(p, mk._count_prefix_model(max_contours))
    if p >= 2:
        enc.encode_bits(count - (1 << (p - 1)), p - 1)
    models = mk._Models()
    remaining = (mw + 1) * (mh + 1)
    for delta, first, turns in contours:
        if remaining >= 2:
            enc.encode_bits(delta, (remaining - 1).bit_length())
        remaining -= delta + 1
        enc.encode(first, models.first_direction)
        ctx = mk._TurnContext()
        for t in turns:
            enc.encode(t, models.turn[ctx.index()])
            ctx.update(t)
    return enc.to_bytes()


def test_crafted_valid_payload_decodes():
    # a 2x2 square at corner (1, 1) of a 4x4 grid: E E R S S R W W R N N
    turns = [STRAIGHT, RIGHT, STRAIGHT, RIGHT, STRAIGHT, RIGHT, STRAIGHT]
    data = _craft(0, 1, [(6, 0, turns)], mw=4, mh=4)
    k, g = mk.decode_mask(data, 4, 4)
    expected = np.zeros((4, 4), bool)
    expected[1:3, 1:3] = True
    assert k == 0 and np.array_equal(g, expected)


@pytest.mark.parametrize("contours, count, message", [
    ([(0, 1, [RIGHT])], 1, "leaves"),                          # SOUTH from (0,0) then WEST: x = -1
    ([(0, 0, [STRAIGHT] * 4)], 1, "leaves"),                    # EAST past x = 4
    ([(0, 0, [RIGHT, RIGHT, LEFT, LEFT, LEFT, LEFT])], 1, "second time"),
    ([(0, 0, [RIGHT] * 3), (0, 0, [RIGHT] * 3)], 2, "second time"),  # squares sharing an edge
    ([(24, 0, [])], 1, "leaves"),                               # start at the last corner
])
def test_invalid_contours(contours, count, message):
    data = _craft(0, count, contours, mw=4, mh=4)
    with pytest.raises(FormatError, match=message) as e:
        mk.decode_mask(data, 4, 4)
    assert e.value.chunk == "MASK"


def test_absurd_count_and_sizes():
    # 4x4 grid: 40 edges, at most 10 contours; the prefix alphabet 0..4 reaches 15
    with pytest.raises(LimitError, match="num_contours"):
        mk.decode_mask(_craft(0, 15, mw=4, mh=4), 4, 4)
    with pytest.raises(LimitError):
        mk.decode_mask(mk.encode_mask(np.ones((2, 2), bool), 0), 0, 2)
    with pytest.raises(LimitError):
        mk.decode_mask(mk.encode_mask(np.ones((2, 2), bool), 0), 16385, 2)
    with pytest.raises(LimitError):
        mk.decode_mask(mk.encode_mask(np.ones((2, 2), bool), 0), 16384, 16384)
    with pytest.raises(FormatError, match="zero byte"):
        mk.decode_mask(b"\x00\x01\x00", 4, 4)


def test_total_steps_limit(monkeypatch):
    monkeypatch.setattr(mk, "MAX_TOTAL_STEPS", 12)  # the real 2^20 would take seconds to reach
    square = np.ones((4, 4), bool)  # boundary: 16 steps
    with pytest.raises(InputError, match="boundary has 16 edges"):
        mk.encode_mask(square, 0)
    turns = ([STRAIGHT] * 3 + [RIGHT]) * 3 + [STRAIGHT] * 3
    with pytest.raises(LimitError, match="more than 12 steps"):
        mk.decode_mask(_craft(0, 1, [(0, 0, turns)], mw=4, mh=4), 4, 4)
    monkeypatch.undo()
    assert np.array_equal(mk.decode_mask(_craft(0, 1, [(0, 0, turns)], mw=4, mh=4), 4, 4)[1], square)


def test_start_delta_beyond_the_last_corner():
    # 2x1 grid: 6 corners, start_delta has 3 bits, so 6 and 7 name no corner
    for delta in (6, 7):
        with pytest.raises(FormatError, match="start_delta"):
            mk.decode_mask(_craft(0, 1, [(delta, 0, [])], mw=2, mh=1), 2, 1)


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=0, max_size=64), st.integers(1, 2048), st.integers(1, 2048))
def test_random_bytes_only_raise_format_errors(data, width, height):
    data = data[: len(data) // 4 * 4]
    try:
        k, g = mk.decode_mask(data, width, height)
    except FormatError as e:
        assert e.chunk == "MASK"
        return
    assert g.shape == mk.mask_grid_size(width, height, k)[::-1]


@SETTINGS
@given(grids(max_side=32), st.integers(0, 3), st.data())
def test_truncated_and_corrupted_payloads(grid, k, data):
    width, height = _image_size(grid, k, 0, 0)
    payload = bytearray(mk.encode_mask(grid, k))
    cut = data.draw(st.integers(0, len(payload)))
    variants = [bytes(payload[:cut])]
    if payload:
        i = data.draw(st.integers(0, len(payload) - 1))
        payload[i] ^= 1 << data.draw(st.integers(0, 7))
        variants.append(bytes(payload))
    for v in variants:
        try:
            cell_log2, g = mk.decode_mask(v, width, height)
        except FormatError as e:
            assert e.chunk == "MASK"
        else:
            assert g.shape == mk.mask_grid_size(width, height, cell_log2)[::-1]
