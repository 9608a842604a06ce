"""Tests of ssgc_format.colormap (spec §5): CMAP coding, dequantization, upsampling."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_format import colormap as cm
from ssgc_format.errors import FormatError, InputError, SSGCError, UnsupportedError

SPACES = sorted(cm.COLOR_SPACES)


@st.composite
def index_grids(draw, max_side=6):
    cs = draw(st.sampled_from(SPACES))
    steps = tuple(draw(st.integers(1, 255)) for _ in range(3))
    gh, gw = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    q = np.stack([rng.integers(lo, hi + 1, size=(gh, gw)) for lo, hi in cm.index_range(cs, steps)], axis=-1)
    if cs == cm.COLOR_SPACE_YCOCG_R_HALF:
        q[..., 1:] = replicate(q[::2, ::2, 1:], gh, gw)
    return cs, steps, q


def replicate(half: np.ndarray, gh: int, gw: int) -> np.ndarray:
    """The canonical layout of color space 2: chroma sample (y, x) over cells (2y..2y+1, 2x..2x+1)."""
    return np.repeat(np.repeat(half, 2, axis=0), 2, axis=1)[:gh, :gw]


def fixed_map() -> np.ndarray:
    """A smooth 16x16 RGB map with one sharp edge, by integer formulas."""
    y, x = np.mgrid[0:16, 0:16]
    r = 40 + 12 * x
    g = 200 - 9 * y + 3 * ((x * y) % 5)
    b = np.where(x + y > 18, 220, 30 + 4 * x)
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


# ---- coding


@settings(max_examples=60, deadline=None)
@given(index_grids())
def test_round_trip(case):
    cs, steps, q = case
    payload = cm.encode_color_map(q, cs, steps)
    assert not payload or payload[-1] != 0  # trailing zero bytes dropped (spec §3.6)
    assert np.array_equal(cm.decode_color_map(payload, *q.shape[:2], cs, steps), q)
    assert cm.encode_color_map(q, cs, steps) == payload  # deterministic


def test_round_trip_default_16x16_with_large_residuals():
    q = cm.quantize_color_map(fixed_map(), cm.DEFAULT_COLOR_SPACE, cm.DEFAULT_STEPS)
    q[3, 4, 0] = cm.index_range(cm.DEFAULT_COLOR_SPACE, cm.DEFAULT_STEPS)[0][1]  # forces an escape
    payload = cm.encode_color_map(q, cm.DEFAULT_COLOR_SPACE, cm.DEFAULT_STEPS)
    assert np.array_equal(cm.decode_color_map(payload, 16, 16, cm.DEFAULT_COLOR_SPACE, cm.DEFAULT_STEPS), q)


# (color space, steps) -> sha256 of the indices, of the payload, payload length, sha256 of CR + C
GOLDEN = {
    (1, (16, 32, 32)): ("8f35a90343ba6a91325b5fba6f26accf65b410a5b5fe469499d220f4a3db5613",
                        "8eeb8373fb689c66b1a4cdef11c37c83fbb82d5f7536c4158596bb247036ead2", 108,
                        "6dda52003801dc08e1b71f8da7148db62dae13daf6892cb7a70b9ed9c878e442"),
    (2, (15, 20, 20)): ("503f5a49e7da261189eb09ef48baecb295c304e0a80549a5b8be3bc8e34550b9",
                        "781d84e83c2148ebed3bcefb84aa41b7d56a69782e5cb19b9ab4f5b3fc4eabbe", 80,
                        "b7fabb3a4909156a04ac400c6325e3acbbbfdca920a8d9c5e7ef2938dad4d79a"),
}


@pytest.mark.parametrize("cs,steps", sorted(GOLDEN))
def test_golden_payload(cs, steps):
    """Fails if the CMAP syntax, its constants, the range coder's output or 5.4/5.5 change."""
    q = cm.quantize_color_map(fixed_map(), cs, steps)
    payload = cm.encode_color_map(q, cs, steps)
    rgb = cm.dequantize_color_map(q, cs, steps)
    up = cm.upsample_color_map(rgb, 500, 509, 5)
    got = (hashlib.sha256(q.astype("<i2").tobytes()).hexdigest(), hashlib.sha256(payload).hexdigest(),
           len(payload), hashlib.sha256(rgb.tobytes() + up.tobytes()).hexdigest())
    assert got == GOLDEN[cs, steps]


def test_default_is_the_measured_choice():
    """spec 5.2/5.6: color space 2 with steps (15, 20, 20) (benchmarks/colormap.py)."""
    assert (cm.DEFAULT_COLOR_SPACE, cm.DEFAULT_STEPS) == (2, (15, 20, 20))


def test_encoder_rejects_out_of_range_indices():
    q = np.zeros((2, 2, 3), dtype=np.int64)
    q[1, 1, 0] = -1  # Y index below 0
    with pytest.raises(InputError):
        cm.encode_color_map(q, 1, (16, 32, 32))
    with pytest.raises(InputError):
        cm.encode_color_map(np.zeros((2, 2), dtype=np.int64), 1, (16, 32, 32))


# ---- bad data


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=64), st.integers(1, 9), st.integers(1, 9), st.sampled_from(SPACES))
def test_garbage_raises_only_format_error(data, gh, gw, cs):
    try:
        q = cm.decode_color_map(data, gh, gw, cs, (16, 32, 32))
    except FormatError:
        return
    assert q.shape == (gh, gw, 3)
    for ch, (lo, hi) in enumerate(cm.index_range(cs, (16, 32, 32))):
        assert lo <= q[..., ch].min() and q[..., ch].max() <= hi


def test_truncated_payloads():
    q = cm.quantize_color_map(fixed_map(), 1, (4, 8, 8))
    payload = cm.encode_color_map(q, 1, (4, 8, 8))
    for n in range(len(payload)):
        try:
            cm.decode_color_map(payload[:n], 16, 16, 1, (4, 8, 8))
        except FormatError:
            pass


def test_bad_grid_size():
    with pytest.raises(FormatError):
        cm.decode_color_map(b"", 0, 3, 1, (16, 32, 32))
    with pytest.raises(FormatError):  # LimitError is a FormatError
        cm.decode_color_map(b"", 1 << 12, 1 << 12, 1, (16, 32, 32))


# ---- parameters


@pytest.mark.parametrize("cs", [3, 4, 255, -1])
def test_unknown_color_space(cs):
    with pytest.raises(UnsupportedError):
        cm.check_color_params(cs, (16, 32, 32))
    with pytest.raises(UnsupportedError):
        cm.decode_color_map(b"\0\0\0\0", 1, 1, cs, (16, 32, 32))


@pytest.mark.parametrize("steps", [(0, 32, 32), (16, 256, 32), (16, 32), (16, 32, 32, 1), (16, 2.5, 3), None, "abc"])
def test_bad_steps(steps):
    with pytest.raises(FormatError):
        cm.check_color_params(1, steps)
    with pytest.raises(SSGCError):
        cm.dequantize_color_map(np.zeros((1, 1, 3), dtype=np.int64), 1, steps)


def test_defaults_are_valid():
    cm.check_color_params(cm.DEFAULT_COLOR_SPACE, cm.DEFAULT_STEPS)


def test_grid_size():
    assert cm.color_grid_size(512, 512, 5) == (16, 16)
    assert cm.color_grid_size(500, 333, 5) == (11, 16)
    assert cm.color_grid_size(1, 1, 8) == (1, 1)
    assert cm.color_grid_size(7, 3, 0) == (3, 7)
    with pytest.raises(FormatError):
        cm.color_grid_size(10, 10, 9)


# ---- dequantization


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0, 1]))
def test_step_one_is_lossless(seed, cs):
    rgb = np.random.default_rng(seed).integers(0, 256, size=(5, 7, 3)).astype(np.uint8)
    q = cm.quantize_color_map(rgb, cs, (1, 1, 1))
    assert np.array_equal(cm.dequantize_color_map(q, cs, (1, 1, 1)), rgb)


def test_ycocg_r_exact_on_all_corners_and_random():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, size=(4096, 3))
    rgb[:8] = [[r, g, b] for r in (0, 255) for g in (0, 255) for b in (0, 255)]
    assert np.array_equal(cm._ycocg_r_inverse(cm._ycocg_r_forward(rgb)), rgb)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 255), st.integers(1, 255))
def test_quantization_error_bound_rgb(seed, s, t):
    """In RGB, rounding to the nearest index keeps every channel within s/2 (before clipping)."""
    rgb = np.random.default_rng(seed).integers(0, 256, size=(4, 4, 3)).astype(np.uint8)
    steps = (s, t, s)
    back = cm.dequantize_color_map(cm.quantize_color_map(rgb, 0, steps), 0, steps).astype(int)
    assert (np.abs(back - rgb) <= np.array(steps) // 2).all()


# ---- upsampling


def upsample_reference(grid, width, height, k):
    """Spec §5.4 written per pixel with Python integers (independent of the numpy version)."""
    gh, gw = grid.shape[:2]
    c = 1 << k

    def taps(x, n):
        t = 2 * x + 1 - c
        j = t >> (k + 1)
        w1 = t & (2 * c - 1)
        return min(max(j, 0), n - 1), min(max(j + 1, 0), n - 1), 2 * c - w1, w1

    out = np.zeros((height, width, 3), dtype=np.uint8)
    for y in range(height):
        i0, i1, v0, v1 = taps(y, gh)
        for x in range(width):
            j0, j1, h0, h1 = taps(x, gw)
            for ch in range(3):
                acc = (h0 * (v0 * int(grid[i0, j0, ch]) + v1 * int(grid[i1, j0, ch]))
                       + h1 * (v0 * int(grid[i0, j1, ch]) + v1 * int(grid[i1, j1, ch])))
                out[y, x, ch] = (acc + (1 << (2 * k + 1))) >> (2 * k + 2)
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 4), st.integers(0, 2**32 - 1))
def test_upsample_matches_per_pixel_reference(width, height, k, seed):
    gh, gw = cm.color_grid_size(width, height, k)
    grid = np.random.default_rng(seed).integers(0, 256, size=(gh, gw, 3)).astype(np.uint8)
    up = cm.upsample_color_map(grid, width, height, k)
    assert up.shape == (height, width, 3) and up.dtype == np.uint8
    assert np.array_equal(up, upsample_reference(grid, width, height, k))
    assert up.min() >= grid.min() and up.max() <= grid.max()


@pytest.mark.parametrize("size,k", [((512, 512), 5), ((37, 5), 3), ((1, 1), 8), ((300, 451), 8)])
def test_upsample_constant(size, k):
    w, h = size
    grid = np.full(cm.color_grid_size(w, h, k) + (3,), 0, dtype=np.uint8)
    grid[..., :] = (17, 128, 255)
    up = cm.upsample_color_map(grid, w, h, k)
    assert up.shape == (h, w, 3)
    assert (up == np.array([17, 128, 255], dtype=np.uint8)).all()


def test_upsample_identity_at_k0_and_centres():
    grid = fixed_map()
    assert np.array_equal(cm.upsample_color_map(grid, 16, 16, 0), grid)
    up = cm.upsample_color_map(grid, 512, 512, 5)
    # with c = 32 the sample j sits between pixels 32j+15 and 32j+16: their mean is the sample
    pair = (up[15::32, 15::32].astype(int) + up[16::32, 16::32].astype(int))
    assert (np.abs(pair - 2 * grid.astype(int)) <= 8).all()


def test_upsample_rejects_wrong_grid():
    with pytest.raises(InputError):
        cm.upsample_color_map(np.zeros((15, 16, 3), dtype=np.uint8), 512, 512, 5)


# ---- the spec's text: constants and worked example of §5.3 and §5.7


def decode_per_spec(data, gh, gw, cs, steps):
    """§5.2/5.3 transcribed with the constants of its table, sharing only clause 3's coder.

    Returns the index planes P[ch] (lists of rows; chroma at half resolution in color space 2).
    """
    from ssgc_format.entropy import AdaptiveModel, RangeDecoder, StaticModel

    E, INIT, INC, LIMIT = 8, [48, 20, 10, 5, 3, 2, 1, 1, 1], 32, 8192
    lohi = {0: [(0, 255)] * 3, 1: [(0, 255), (-255, 255), (-255, 255)],
            2: [(0, 255), (-255, 255), (-255, 255)]}[cs]
    qlo = [-((-lo + s - 1) // s) for (lo, _), s in zip(lohi, steps)]
    qhi = [(hi + s - 1) // s for (_, hi), s in zip(lohi, steps)]
    M = [b - a + 1 for a, b in zip(qlo, qhi)]
    n = [min(m, E + 1) for m in M]
    A = [[AdaptiveModel(n[ch], INIT[: n[ch]], increment=INC, limit=LIMIT) for _ in range(2)] for ch in range(3)]
    T = [StaticModel.uniform(M[ch] - E) if M[ch] > E + 1 else None for ch in range(3)]
    ph = [gh] + [(gh + 1) // 2 if cs == 2 else gh] * 2
    pw = [gw] + [(gw + 1) // 2 if cs == 2 else gw] * 2
    Q = [[[0] * pw[ch] for _ in range(ph[ch])] for ch in range(3)]
    dec = RangeDecoder(data, chunk="CMAP")
    for ii in range(gh):
        for jj in range(gw):
            for ch in range(3):
                i, j = ii, jj
                if cs == 2 and ch > 0:
                    if (ii & 1) or (jj & 1):
                        continue
                    i, j = ii >> 1, jj >> 1
                P = Q[ch]
                if i == 0 and j == 0:
                    pred, act = (qlo[ch] + qhi[ch]) >> 1, 0
                elif i == 0:
                    pred, act = P[0][j - 1], (abs(P[0][j - 1] - P[0][j - 2]) if j >= 2 else 0)
                elif j == 0:
                    pred, act = P[i - 1][0], (abs(P[i - 1][0] - P[i - 2][0]) if i >= 2 else 0)
                else:
                    W, N, NW = P[i][j - 1], P[i - 1][j], P[i - 1][j - 1]
                    pred = min(W, N) if NW >= max(W, N) else max(W, N) if NW <= min(W, N) else W + N - NW
                    act = abs(W - NW) + abs(N - NW)
                z = dec.decode(A[ch][1 if act > 0 else 0])
                if M[ch] > E + 1 and z == E:
                    z = E + dec.decode(T[ch])
                r = -((z + 1) >> 1) if z & 1 else z >> 1
                P[i][j] = qlo[ch] + (pred - qlo[ch] + r) % M[ch]
    return Q


def dequantize_per_spec(P, gh, gw, cs, steps):
    """§5.4 per cell with Python integers, from the planes of decode_per_spec."""
    def ctaps(p, n):
        a = p >> 1
        return a, (min(a + 1, n - 1) if p & 1 else max(a - 1, 0))

    CR = np.zeros((gh, gw, 3), dtype=np.uint8)
    for i in range(gh):
        for j in range(gw):
            v = [P[ch][i][j] * steps[ch] for ch in range(3)] if cs != 2 else [P[0][i][j] * steps[0]]
            if cs == 2:
                for ch in (1, 2):
                    (a, b), (c, d) = ctaps(i, len(P[ch])), ctaps(j, len(P[ch][0]))
                    u = [[x * steps[ch] for x in row] for row in P[ch]]
                    acc = 3 * (3 * u[a][c] + u[b][c]) + (3 * u[a][d] + u[b][d])
                    v.append((acc + 8) >> 4)
            if cs == 0:
                R, G, B = v
            else:
                t = v[0] - (v[2] >> 1)
                G = v[2] + t
                B = t - (v[1] >> 1)
                R = B + v[1]
            CR[i, j] = [min(max(x, 0), 255) for x in (R, G, B)]
    return CR


def planes_of(q, cs):
    """The index planes of a (gh, gw, 3) array in the canonical layout (top-left cell of each block)."""
    return [q[..., 0].tolist()] + [(q[::2, ::2, ch] if cs == 2 else q[..., ch]).tolist() for ch in (1, 2)]


@settings(max_examples=30, deadline=None)
@given(index_grids(max_side=5))
def test_spec_transcription_decodes_the_same(case):
    cs, steps, q = case
    payload = cm.encode_color_map(q, cs, steps)
    planes = decode_per_spec(payload, *q.shape[:2], cs, steps)
    assert planes == planes_of(q, cs)
    assert np.array_equal(dequantize_per_spec(planes, *q.shape[:2], cs, steps),
                          cm.dequantize_color_map(q, cs, steps))


def test_worked_example_of_the_spec():
    rgb = np.array([[[200, 120, 40], [190, 130, 60], [60, 90, 200]],
                    [[180, 140, 70], [100, 110, 160], [50, 80, 210]]], dtype=np.uint8)
    q = cm.quantize_color_map(rgb, 1, (16, 32, 32))
    assert q.tolist() == [[[8, 5, 0], [8, 4, 0], [7, -4, -1]], [[8, 3, 0], [8, -2, -1], [7, -5, -2]]]
    assert cm.encode_color_map(q, 1, (16, 32, 32)).hex() == "85e7f17c8a29"
    cr = cm.dequantize_color_map(q, 1, (16, 32, 32))
    assert cr.tolist() == [[[208, 128, 48], [192, 128, 64], [64, 96, 192]],
                           [[176, 128, 80], [112, 112, 176], [64, 80, 224]]]
    red = cm.upsample_color_map(cr, 10, 6, 2)[..., 0]
    assert red[2].tolist() == [204, 204, 201, 196, 190, 185, 167, 138, 108, 79]
    assert red[5].tolist() == [180, 180, 173, 158, 144, 129, 115, 100, 86, 71]


def test_worked_example_color_space_2():
    rgb = np.array([[[200, 120, 40], [190, 130, 60], [60, 90, 200]],
                    [[180, 140, 70], [100, 110, 160], [50, 80, 210]]], dtype=np.uint8)
    steps = (15, 20, 20)
    assert cm.index_range(2, steps) == [(0, 17), (-13, 13), (-13, 13)]
    q = cm.quantize_color_map(rgb, 2, steps)
    assert planes_of(q, 2) == [[[8, 8, 7], [9, 8, 7]], [[4, -7]], [[0, -2]]]
    payload = cm.encode_color_map(q, 2, steps)
    assert payload.hex() == "859259af80"
    assert decode_per_spec(payload, 2, 3, 2, steps) == planes_of(q, 2)
    cr = cm.dequantize_color_map(q, 2, steps)
    assert cr.tolist() == [[[160, 120, 80], [138, 115, 113], [78, 90, 163]],
                           [[175, 135, 95], [138, 115, 113], [78, 90, 163]]]


# ---- color space 2 (half-resolution chroma)


@pytest.mark.parametrize("gh,gw", [(1, 1), (1, 7), (7, 1), (3, 5), (2, 2), (4, 6), (5, 5)])
def test_color_space_2_round_trip_odd_grids(gh, gw):
    rng = np.random.default_rng(gh * 31 + gw)
    rgb = rng.integers(0, 256, (gh, gw, 3), dtype=np.uint8)
    for steps in ((15, 20, 20), (1, 1, 1), (255, 255, 255), (4, 9, 200)):
        q = cm.quantize_color_map(rgb, 2, steps)
        assert q.shape == (gh, gw, 3)
        assert np.array_equal(q[..., 1:], replicate(q[::2, ::2, 1:], gh, gw))
        payload = cm.encode_color_map(q, 2, steps)
        back = cm.decode_color_map(payload, gh, gw, 2, steps)
        assert back.shape == (gh, gw, 3) and np.array_equal(back, q)
        assert decode_per_spec(payload, gh, gw, 2, steps) == planes_of(q, 2)
        assert np.array_equal(cm.dequantize_color_map(q, 2, steps),
                              dequantize_per_spec(planes_of(q, 2), gh, gw, 2, steps))


def test_color_space_2_codes_a_quarter_of_the_chroma():
    """The same indices cost fewer bytes with half-resolution chroma (fewer chroma symbols)."""
    q = cm.quantize_color_map(fixed_map(), 2, (16, 32, 32))
    assert len(cm.encode_color_map(q, 2, (16, 32, 32))) < len(cm.encode_color_map(q, 1, (16, 32, 32)))


@pytest.mark.parametrize("cell", [(0, 1), (1, 0), (1, 1), (2, 3), (4, 3), (3, 4)])
def test_color_space_2_rejects_chroma_not_replicated(cell):
    q = cm.quantize_color_map(fixed_map()[:5, :5], 2, (15, 20, 20))
    bad = q.copy()
    bad[cell + (1,)] += 1 if bad[cell + (1,)] < 13 else -1
    with pytest.raises(InputError, match="2x2"):
        cm.encode_color_map(bad, 2, (15, 20, 20))
    cm.encode_color_map(bad, 1, (15, 20, 20))  # the same array is fine at full resolution


def test_color_space_2_quantizer_is_the_rounded_block_mean():
    """§5.6: P = (2S + n s) // (2 n s) over the cells of the block that exist, clipped."""
    rng = np.random.default_rng(7)
    gh, gw, steps = 5, 3, (15, 20, 20)
    rgb = rng.integers(0, 256, (gh, gw, 3), dtype=np.uint8)
    q = cm.quantize_color_map(rgb, 2, steps)
    r, g, b = (rgb[..., c].astype(int) for c in range(3))
    co = r - b
    values = {1: co, 2: g - (b + (co >> 1))}
    for y in range((gh + 1) // 2):
        for x in range((gw + 1) // 2):
            cells = [(i, j) for i in (2 * y, 2 * y + 1) for j in (2 * x, 2 * x + 1) if i < gh and j < gw]
            for ch in (1, 2):
                total, n, s = sum(int(values[ch][c]) for c in cells), len(cells), steps[ch]
                assert q[2 * y, 2 * x, ch] == min(max((2 * total + n * s) // (2 * n * s), -13), 13)


def test_color_space_2_constant_grid_is_exact_and_decoded_chroma_replicated():
    rgb = np.zeros((5, 7, 3), dtype=np.uint8)
    rgb[...] = (90, 200, 30)
    q = cm.quantize_color_map(rgb, 2, (1, 1, 1))
    assert np.array_equal(cm.dequantize_color_map(q, 2, (1, 1, 1)), rgb)
    payload = cm.encode_color_map(q, 2, (1, 1, 1))
    assert np.array_equal(cm.decode_color_map(payload, 5, 7, 2, (1, 1, 1)), q)


def test_clean_room_decoder_color_space_2():
    """conformance/spec_decoder.py (written from the spec) on the worked example of §5.7."""
    from conformance import spec_decoder as sd

    P = sd.decode_colors(bytes.fromhex("859259af80"), 2, 3, 2, (15, 20, 20))
    assert P == [[[8, 8, 7], [9, 8, 7]], [[4, -7]], [[0, -2]]]
    assert sd.dequantize(P, 2, 3, 2, (15, 20, 20)) == [[(160, 120, 80), (138, 115, 113), (78, 90, 163)],
                                                        [(175, 135, 95), (138, 115, 113), (78, 90, 163)]]


@pytest.mark.parametrize("cs", SPACES)
def test_dequantize_rejects_bad_arrays(cs):
    for bad in (np.zeros((2, 2), dtype=np.int64), np.zeros((0, 2, 3), dtype=np.int64),
                np.zeros((2, 2, 3), dtype=np.float64)):
        with pytest.raises(InputError):
            cm.dequantize_color_map(bad, cs, (15, 20, 20))
