"""The color map: quantization, CMAP payload coding, dequantization and upsampling. Implements spec §5.

The color map is a ``grid_h x grid_w`` picture, one color per ``c x c`` cell (``c = 2^k``,
``k`` = the header's ``color_cell_log2``, §2.3), stored as quantization indices ``q`` in a color
space (the header's ``color_space``) with one quantizer step per channel (``color_steps``):

* §5.2 color spaces, steps and index ranges (:data:`COLOR_SPACES`, :func:`index_range`); color
  space 2 keeps Co and Cg on a half-resolution plane (one sample per 2x2 block of cells),
* §5.3 the CMAP payload: per channel MED prediction on the channel's own plane, residual wrapped
  into the index range and zigzag-mapped, adaptive models chosen by a local activity context, an
  escape for large residuals,
* §5.4 dequantization to RGB in integers (normative; color space 2 interpolates the chroma),
* §5.5 separable bilinear upsampling to the picture size in integers (normative).

:func:`quantize_color_map` is the informative encoder step (§5.6).

Index arrays are ``(grid_h, grid_w, 3)`` for every color space. In color space 2 the canonical
layout holds each chroma sample replicated over its 2x2 block of cells: the decoder returns that
layout and the encoder accepts nothing else; dequantization reads the top-left cell of each block.

Symbol  →  meaning
    k, c      color_cell_log2, c = 2^k: cell size in pixels
    s_ch      quantizer step of channel ch (1..255)
    q         quantization index, qlo_ch ≤ q ≤ qhi_ch
    M_ch      qhi_ch − qlo_ch + 1: number of indices of channel ch
    W, N, NW  causal neighbours of the current cell in the same channel
"""

from __future__ import annotations

from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from ssgc_format.entropy import AdaptiveModel, RangeDecoder, RangeEncoder, StaticModel
from ssgc_format.errors import FormatError, InputError, LimitError, UnsupportedError

_CHUNK = "CMAP"

# §5.2 color spaces: id -> (name, per-channel (lo, hi) value range before quantization).
COLOR_SPACE_RGB = 0
COLOR_SPACE_YCOCG_R = 1
COLOR_SPACE_YCOCG_R_HALF = 2  # YCoCg-R, Co and Cg on a half-resolution grid (§5.2)
_YCOCG_RANGES = ((0, 255), (-255, 255), (-255, 255))
COLOR_SPACES = {
    COLOR_SPACE_RGB: ("RGB", ((0, 255), (0, 255), (0, 255))),
    COLOR_SPACE_YCOCG_R: ("YCoCg-R", _YCOCG_RANGES),
    COLOR_SPACE_YCOCG_R_HALF: ("YCoCg-R/2", _YCOCG_RANGES),
}
MIN_STEP, MAX_STEP = 1, 255

# Chosen by benchmarks/colormap.py: the smallest setting at a mean error no worse than YCoCg-R
# (16, 32, 32), 97.2 bytes for a 16x16 map of a photo (24..148): 81.6 bytes (24..112), mean absolute
# RGB error 4.63 levels (PSNR 33.0 dB) against the unquantized grid.
DEFAULT_COLOR_SPACE = COLOR_SPACE_YCOCG_R_HALF
DEFAULT_STEPS = (15, 20, 20)

MAX_CELL_LOG2 = 8
MAX_GRID_CELLS = 1 << 18  # §5.1: bounds the sequential decoding work (3 symbols a cell at most)


class _Coding(NamedTuple):
    """The constants of the CMAP syntax (§5.3), gathered so the benchmark can compare variants.

    Only :data:`_CODING` is normative; any other value is a measurement aid.
    """

    escape: int  # E: zigzag values 0..E-1 are coded directly, E is the escape symbol
    thresholds: tuple[int, ...]  # activity a -> context = number of thresholds t with a > t
    increment: int  # adaptive model count increment (§3.4)
    limit: int  # adaptive model count limit (§3.4)
    init: tuple[int, ...]  # initial counts of symbols 0..E (shorter: the rest are 1)


_CODING = _Coding(escape=8, thresholds=(0,), increment=32, limit=1 << 13,
                  init=(48, 20, 10, 5, 3, 2, 1, 1, 1))


# --------------------------------------------------------------------------------------------
# §5.2 parameters


def check_color_params(color_space: int, steps: Sequence[int]) -> None:
    """Validate the header's ``color_space`` and ``color_steps`` (spec §2.3, §5.2).

    Raises :class:`UnsupportedError` for a color space id this version does not define and
    :class:`FormatError` (chunk ``header``) for a step outside 1..255 or not three steps.
    """
    if isinstance(color_space, bool) or not isinstance(color_space, (int, np.integer)):
        raise FormatError(f"color_space must be an integer, got {color_space!r}", chunk="header")
    if int(color_space) not in COLOR_SPACES:
        raise UnsupportedError(f"header: color_space {color_space} is not defined "
                               f"(known: {sorted(COLOR_SPACES)})")
    try:
        values = [int(s) for s in steps]
        ok = len(values) == 3 and all(not isinstance(s, bool) and int(s) == s for s in steps)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise FormatError(f"color_steps must be three integers, got {steps!r}", chunk="header")
    for ch, s in enumerate(values):
        if not MIN_STEP <= s <= MAX_STEP:
            raise FormatError(f"color_steps[{ch}] = {s} outside {MIN_STEP}..{MAX_STEP}", chunk="header")


def color_grid_size(width: int, height: int, cell_log2: int) -> tuple[int, int]:
    """``(grid_h, grid_w) = (ceil(H / 2^k), ceil(W / 2^k))`` (spec §5.1; the header restricts k to 2..8, §2.3)."""
    if not 0 <= cell_log2 <= MAX_CELL_LOG2:
        raise FormatError(f"color_cell_log2 {cell_log2} outside 0..{MAX_CELL_LOG2}", chunk="header")
    if width < 1 or height < 1:
        raise FormatError(f"picture size {width}x{height} is empty", chunk="header")
    c = 1 << cell_log2
    return (height + c - 1) >> cell_log2, (width + c - 1) >> cell_log2


def index_range(color_space: int, steps: Sequence[int]) -> list[tuple[int, int]]:
    """``(qlo, qhi)`` per channel: ``qlo = -ceil(-lo / s)``, ``qhi = ceil(hi / s)`` (§5.2)."""
    check_color_params(color_space, steps)
    return [(-((-lo + s - 1) // s), (hi + s - 1) // s)
            for (lo, hi), s in zip(COLOR_SPACES[int(color_space)][1], (int(s) for s in steps))]


# --------------------------------------------------------------------------------------------
# §5.3 payload


def _med(w: int, n: int, nw: int) -> int:
    """LOCO-I median edge detector."""
    if nw >= max(w, n):
        return min(w, n)
    if nw <= min(w, n):
        return max(w, n)
    return w + n - nw


def _predict(plane: np.ndarray, y: int, x: int, mid: int) -> tuple[int, int]:
    """Prediction and activity of cell (y, x) of one channel's index plane (§5.3.2)."""
    if y == 0 and x == 0:
        return mid, 0
    if y == 0:
        w = int(plane[0, x - 1])
        return w, (abs(w - int(plane[0, x - 2])) if x >= 2 else 0)
    n = int(plane[y - 1, x])
    if x == 0:
        return n, (abs(n - int(plane[y - 2, 0])) if y >= 2 else 0)
    w, nw = int(plane[y, x - 1]), int(plane[y - 1, x - 1])
    return _med(w, n, nw), abs(w - nw) + abs(n - nw)


def _context(activity: int, coding: _Coding) -> int:
    return sum(activity > t for t in coding.thresholds)


def _to_zigzag(q: int, pred: int, qlo: int, m: int) -> int:
    d = (q - pred) % m  # residual wrapped into the index range
    r = d if d <= (m - 1) // 2 else d - m
    return 2 * r if r >= 0 else -2 * r - 1


def _from_zigzag(z: int, pred: int, qlo: int, m: int) -> int:
    r = z >> 1 if not z & 1 else -((z + 1) >> 1)
    return qlo + (pred - qlo + r) % m


_TABLE_CACHE: dict[tuple[int, ...], Any] = {}
_TABLE_CACHE_SIZE = 1 << 14


class _CachedModel(AdaptiveModel):
    """An AdaptiveModel (§3.4) whose tables are cached by count state; codes identically.

    A model's counts revisit the same states (runs of one symbol between halvings), so the table,
    a function of the counts alone, is built once per state (by AdaptiveModel itself on a miss).
    """

    __slots__ = ()

    def categorical(self) -> Any:
        key = tuple(self.counts)
        table = _TABLE_CACHE.get(key)
        if table is None:
            table = super().categorical()
            if len(_TABLE_CACHE) >= _TABLE_CACHE_SIZE:
                _TABLE_CACHE.clear()  # bounded memory; states of a new payload refill it
            _TABLE_CACHE[key] = table
        return table


class _ChannelCoder:
    """Models of one channel: one adaptive model per context, plus the escape's uniform tail."""

    def __init__(self, qlo: int, qhi: int, coding: _Coding):
        self.qlo, self.m = qlo, qhi - qlo + 1
        self.mid = (qlo + qhi) >> 1
        self.n = min(self.m, coding.escape + 1)  # alphabet of the first symbol
        init = [1] * self.n
        for i, v in enumerate(coding.init[: self.n]):
            init[i] = v
        self.models = [_CachedModel(self.n, init, increment=coding.increment, limit=coding.limit)
                       for _ in range(len(coding.thresholds) + 1)] if self.n >= 2 else []
        self.escaped = self.m > coding.escape + 1
        self.tail = StaticModel.uniform(self.m - coding.escape) if self.escaped else None
        self.escape = coding.escape


def _coders(color_space: int, steps: Sequence[int], coding: _Coding) -> list[_ChannelCoder]:
    return [_ChannelCoder(lo, hi, coding) for lo, hi in index_range(color_space, steps)]


def _check_grid_shape(grid_h: int, grid_w: int) -> None:
    if grid_h < 1 or grid_w < 1:
        raise FormatError(f"color grid {grid_h}x{grid_w} is empty", chunk=_CHUNK)
    if grid_h * grid_w > MAX_GRID_CELLS:
        raise LimitError(f"color grid {grid_h}x{grid_w} exceeds {MAX_GRID_CELLS} cells", chunk=_CHUNK)


def _half_chroma(color_space: int) -> bool:
    return int(color_space) == COLOR_SPACE_YCOCG_R_HALF


def _plane_shapes(grid_h: int, grid_w: int, color_space: int) -> list[tuple[int, int]]:
    """Shape of each channel's index plane: chroma of color space 2 on the ceil-half grid (§5.2)."""
    half = ((grid_h + 1) >> 1, (grid_w + 1) >> 1)
    return [(grid_h, grid_w)] + [half if _half_chroma(color_space) else (grid_h, grid_w)] * 2


def _scan(grid_h: int, grid_w: int, color_space: int) -> Iterator[tuple[int, int, int]]:
    """Symbols in payload order (§5.3.1): ``(ch, y, x)`` with (y, x) in channel ``ch``'s plane.

    Raster order of the cells, channels 0, 1, 2 within a cell; with half-resolution chroma the
    chroma sample (i/2, j/2) is coded at the cell (i, j) with i and j both even.
    """
    half = _half_chroma(color_space)
    for i in range(grid_h):
        for j in range(grid_w):
            yield 0, i, j
            if not half:
                yield 1, i, j
                yield 2, i, j
            elif not (i | j) & 1:
                yield 1, i >> 1, j >> 1
                yield 2, i >> 1, j >> 1


def _replicate(plane: np.ndarray, grid_h: int, grid_w: int) -> np.ndarray:
    """Half-grid sample (y, x) copied to cells (2y..2y+1, 2x..2x+1), cropped to the grid."""
    return np.repeat(np.repeat(plane, 2, axis=0), 2, axis=1)[:grid_h, :grid_w]


def _encode(q: np.ndarray, color_space: int, steps: Sequence[int], coding: _Coding) -> bytes:
    coders = _coders(color_space, steps, coding)
    if not isinstance(q, np.ndarray) or q.ndim != 3 or q.shape[2] != 3 or q.size == 0:
        raise InputError(f"color map indices must be a non-empty (gh, gw, 3) array, got "
                         f"{getattr(q, 'shape', type(q).__name__)}")
    if not np.issubdtype(q.dtype, np.integer):
        raise InputError(f"color map indices must be integers, got {q.dtype}")
    if q.shape[0] * q.shape[1] > MAX_GRID_CELLS:
        raise InputError(f"color grid {q.shape[0]}x{q.shape[1]} exceeds {MAX_GRID_CELLS} cells (§5.1): "
                         f"use larger color cells")
    for ch, cd in enumerate(coders):
        lo, hi = int(q[..., ch].min()), int(q[..., ch].max())
        if lo < cd.qlo or hi > cd.qlo + cd.m - 1:
            raise InputError(f"channel {ch} indices {lo}..{hi} outside {cd.qlo}..{cd.qlo + cd.m - 1}")
    gh, gw = q.shape[:2]
    planes = [q[..., ch].astype(np.int64) for ch in range(3)]
    if _half_chroma(color_space):
        for ch in (1, 2):
            planes[ch] = planes[ch][::2, ::2]
            bad = np.argwhere(_replicate(planes[ch], gh, gw) != q[..., ch])
            if bad.size:
                raise InputError(f"color space {COLOR_SPACE_YCOCG_R_HALF}: channel {ch} is not constant "
                                 f"over 2x2 blocks of cells (cell {tuple(int(v) for v in bad[0])})")
    enc = RangeEncoder()
    for ch, y, x in _scan(gh, gw, color_space):
        cd, plane = coders[ch], planes[ch]
        pred, act = _predict(plane, y, x, cd.mid)
        z = _to_zigzag(int(plane[y, x]), pred, cd.qlo, cd.m)
        if cd.models:
            model = cd.models[_context(act, coding)]
            if cd.tail is not None and z >= cd.escape:  # tail exists iff the channel escapes
                enc.encode(cd.escape, model)
                enc.encode(z - cd.escape, cd.tail)
            else:
                enc.encode(z, model)
    return enc.to_bytes()


def _decode_sample(dec: RangeDecoder, cd: _ChannelCoder, plane: list[list[int]], y: int, x: int,
                   coding: _Coding) -> None:
    """Decode the index of cell (y, x) of one channel's plane (lists), §5.3.2-5.3.3, in place.

    The same prediction, context and zigzag as :func:`_predict`, :func:`_context` and
    :func:`_from_zigzag`, on Python lists (numpy element access costs more than the decode).
    """
    row = plane[y]
    if y == 0:
        if x == 0:
            pred, act = cd.mid, 0
        else:
            pred = row[x - 1]
            act = abs(pred - row[x - 2]) if x >= 2 else 0
    else:
        up = plane[y - 1]
        n = up[x]
        if x == 0:
            pred, act = n, (abs(n - plane[y - 2][0]) if y >= 2 else 0)
        else:
            w, nw = row[x - 1], up[x - 1]
            if nw >= (w if w > n else n):  # _med, inlined
                pred = w if w < n else n
            elif nw <= (w if w < n else n):
                pred = w if w > n else n
            else:
                pred = w + n - nw
            act = abs(w - nw) + abs(n - nw)
    z = 0
    if cd.models:
        ctx = 0
        for t in coding.thresholds:  # _context, inlined
            ctx += act > t
        z = dec.decode(cd.models[ctx])
        if cd.tail is not None and z == cd.escape:  # tail exists iff the channel escapes
            z += dec.decode(cd.tail)
    row[x] = _from_zigzag(z, pred, cd.qlo, cd.m)


def _decode(data: bytes, grid_h: int, grid_w: int, color_space: int, steps: Sequence[int],
            coding: _Coding) -> np.ndarray:
    coders = _coders(color_space, steps, coding)
    _check_grid_shape(grid_h, grid_w)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError(f"payload must be bytes, got {type(data).__name__}", chunk=_CHUNK)
    dec = RangeDecoder(bytes(data), chunk=_CHUNK)
    planes = [[[0] * w for _ in range(h)] for h, w in _plane_shapes(grid_h, grid_w, color_space)]
    half = _half_chroma(color_space)
    c0, c1, c2 = coders
    p0, p1, p2 = planes
    for i in range(grid_h):  # the order of _scan (§5.3.1), unrolled
        for j in range(grid_w):
            _decode_sample(dec, c0, p0, i, j, coding)
            if not half:
                _decode_sample(dec, c1, p1, i, j, coding)
                _decode_sample(dec, c2, p2, i, j, coding)
            elif not (i | j) & 1:
                _decode_sample(dec, c1, p1, i >> 1, j >> 1, coding)
                _decode_sample(dec, c2, p2, i >> 1, j >> 1, coding)
    arrays = [np.array(p, dtype=np.int64) for p in planes]
    if half:
        arrays[1:] = [_replicate(p, grid_h, grid_w) for p in arrays[1:]]
    return np.stack(arrays, axis=-1)


def encode_color_map(q: np.ndarray, color_space: int, steps: Sequence[int]) -> bytes:
    """The CMAP payload for the index grid ``q`` (``(grid_h, grid_w, 3)`` integers), spec §5.3.

    Raises :class:`InputError` if an index lies outside :func:`index_range`, or, in color space 2,
    if a chroma channel is not constant over each 2x2 block of cells (the canonical layout).
    Guarantee: ``decode_color_map(encode_color_map(q, cs, s), gh, gw, cs, s) == q``.
    """
    return _encode(q, color_space, steps, _CODING)


def decode_color_map(data: bytes, grid_h: int, grid_w: int, color_space: int,
                     steps: Sequence[int]) -> np.ndarray:
    """Decode a CMAP payload into indices ``int64 (grid_h, grid_w, 3)`` (spec §5.3).

    In color space 2 each decoded chroma sample is replicated over its 2x2 block of cells.
    Every decoded index lies in :func:`index_range`. Bad data raises :class:`FormatError`
    (chunk ``CMAP``) and nothing else; trailing words after the last symbol are ignored, as the
    range decoder of clause 3 reads zeros past the end of the payload.
    """
    return _decode(data, grid_h, grid_w, color_space, steps, _CODING)


# --------------------------------------------------------------------------------------------
# §5.4 dequantization, §5.6 quantization (informative)


def _ycocg_r_forward(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    co = r - b
    t = b + (co >> 1)
    cg = g - t
    return np.stack([t + (cg >> 1), co, cg], axis=-1)


def _ycocg_r_inverse(v: np.ndarray) -> np.ndarray:
    y, co, cg = v[..., 0], v[..., 1], v[..., 2]
    t = y - (cg >> 1)
    g = cg + t
    b = t - (co >> 1)
    return np.stack([b + co, g, b], axis=-1)


def _chroma_taps(n: int, half_n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per cell i of one axis: the nearer half-grid sample ``i >> 1`` (weight 3) and the other
    neighbour (weight 1), ``i >> 1`` -/+ 1 for even/odd i, clamped to the half grid (§5.4)."""
    i = np.arange(n, dtype=np.int64)
    near = i >> 1
    far = np.where(i & 1, np.minimum(near + 1, half_n - 1), np.maximum(near - 1, 0))
    return near, far


def _upsample_chroma(u: np.ndarray, grid_h: int, grid_w: int) -> np.ndarray:
    """Half-grid chroma values to the cell grid: ``(9a + 3b + 3c + d + 8) >> 4`` (§5.4, exact)."""
    r0, r1 = _chroma_taps(grid_h, u.shape[0])
    c0, c1 = _chroma_taps(grid_w, u.shape[1])
    rows = 3 * u[r0] + u[r1]
    return np.asarray((3 * rows[:, c0] + rows[:, c1] + 8) >> 4)


def dequantize_color_map(q: np.ndarray, color_space: int, steps: Sequence[int]) -> np.ndarray:
    """Indices to ``uint8 (gh, gw, 3)`` RGB (spec §5.4, normative).

    ``v_ch = q_ch * s_ch``; color spaces 1 and 2 convert ``(Y, Co, Cg)`` to RGB with the YCoCg-R
    inverse (arithmetic shifts); the result is clipped to 0..255. Color space 2 first
    interpolates Co and Cg from the half grid (the indices of the cells with even row and column,
    i.e. the top-left cell of each 2x2 block; the other chroma indices are not read) with the
    integer 3/4-1/4 bilinear rule of §5.4.
    """
    check_color_params(color_space, steps)
    q = np.asarray(q)
    if q.ndim != 3 or q.shape[2] != 3 or q.size == 0 or not np.issubdtype(q.dtype, np.integer):
        raise InputError(f"color map indices must be a non-empty integer (gh, gw, 3) array, got "
                         f"{q.dtype} {q.shape}")
    q = q.astype(np.int64)
    v = q * np.asarray([int(s) for s in steps], dtype=np.int64)
    if _half_chroma(color_space):
        for ch in (1, 2):
            v[..., ch] = _upsample_chroma(v[::2, ::2, ch], *q.shape[:2])
    if int(color_space) != COLOR_SPACE_RGB:
        v = _ycocg_r_inverse(v)
    return np.asarray(np.clip(v, 0, 255).astype(np.uint8))


def quantize_color_map(rgb_grid: np.ndarray, color_space: int, steps: Sequence[int]) -> np.ndarray:
    """Informative encoder step (spec §5.6): ``uint8 (gh, gw, 3)`` RGB to indices ``int64``.

    Converts to the color space (YCoCg-R forward transform, exact), then
    ``q = floor((2 v + s) / (2 s))`` (round half up), clamped to :func:`index_range`. In color
    space 2 a chroma sample quantizes the mean of its block's ``n`` values (sum ``S``) with one
    rounding, ``floor((2 S + n s) / (2 n s))``, and is replicated over the block.
    """
    if (not isinstance(rgb_grid, np.ndarray) or rgb_grid.dtype != np.uint8 or rgb_grid.ndim != 3
            or rgb_grid.shape[2] != 3 or rgb_grid.size == 0):
        raise InputError(f"color grid must be a non-empty uint8 (gh, gw, 3) array, got "
                         f"{getattr(rgb_grid, 'dtype', type(rgb_grid).__name__)} "
                         f"{getattr(rgb_grid, 'shape', '')}")
    ranges = index_range(color_space, steps)
    v = rgb_grid.astype(np.int64)
    if int(color_space) != COLOR_SPACE_RGB:
        v = _ycocg_r_forward(rgb_grid)
    s = np.asarray([int(x) for x in steps], dtype=np.int64)
    q = (2 * v + s) // (2 * s)
    if _half_chroma(color_space):
        gh, gw = v.shape[:2]
        sums, counts = _block_sums(v[..., 1:]), _block_sums(np.ones((gh, gw, 1), dtype=np.int64))
        n_s = counts * s[1:]
        q[..., 1:] = _replicate((2 * sums + n_s) // (2 * n_s), gh, gw)
    lo = np.asarray([r[0] for r in ranges], dtype=np.int64)
    hi = np.asarray([r[1] for r in ranges], dtype=np.int64)
    return np.asarray(np.clip(q, lo, hi))


def _block_sums(a: np.ndarray) -> np.ndarray:
    """Sums over 2x2 blocks of cells ``(ceil(gh/2), ceil(gw/2), ...)``; edge blocks sum what they have."""
    gh, gw = a.shape[:2]
    p = np.zeros(((gh + 1) & ~1, (gw + 1) & ~1) + a.shape[2:], dtype=np.int64)
    p[:gh, :gw] = a
    return p[0::2, 0::2] + p[0::2, 1::2] + p[1::2, 0::2] + p[1::2, 1::2]


# --------------------------------------------------------------------------------------------
# §5.5 upsampling


_BAND_SAMPLES = 1 << 21  # int32 samples per band of upsampling (8 MB)


def _axis_taps(size: int, n: int, cell_log2: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per output pixel ``x`` of one axis: indices ``j0, j1`` and weights ``w0, w1`` (sum 2c).

    Grid sample ``j`` sits at pixel coordinate ``j*c + (c-1)/2``, so in units of ``1/(2c)`` grid
    steps pixel ``x`` lies at ``t = 2x + 1 - c``: ``j = t >> (k+1)`` (floor) and
    ``w1 = t & (2c - 1)``; indices beyond the grid are clamped (edge replication).
    """
    c2 = 2 << cell_log2
    t = 2 * np.arange(size, dtype=np.int64) + 1 - (1 << cell_log2)
    j = t >> (cell_log2 + 1)
    w1 = t & (c2 - 1)
    return (np.clip(j, 0, n - 1), np.clip(j + 1, 0, n - 1),
            (c2 - w1).astype(np.int32), w1.astype(np.int32))


def upsample_color_map(rgb_grid: np.ndarray, width: int, height: int, cell_log2: int) -> np.ndarray:
    """Bilinear upsampling of the dequantized color map to ``uint8 (H, W, 3)`` (spec §5.5, normative).

    ``out = (Σ_v Σ_h wv·wh·g + 2^(2k+1)) >> (2k+2)`` with the taps of :func:`_axis_taps`, computed
    exactly in int32 (no intermediate rounding, so the order of the sums is free). Guarantees: a constant grid gives a
    constant picture; every output value lies between the grid's min and max (weights are
    non-negative and sum to 2^(2k+2)); ``k = 0`` with a full-size grid is the identity.
    """
    grid_h, grid_w = color_grid_size(width, height, cell_log2)
    g = np.asarray(rgb_grid)
    if g.shape != (grid_h, grid_w, 3):
        raise InputError(f"color grid of shape {g.shape} does not match {grid_h}x{grid_w}x3 "
                         f"for {width}x{height}, cell_log2 {cell_log2}")
    g = g.astype(np.int32)  # 255 * 2^(2k+2) < 2^31 for k <= 8
    r0, r1, rw0, rw1 = _axis_taps(height, grid_h, cell_log2)
    c0, c1, cw0, cw1 = _axis_taps(width, grid_w, cell_log2)
    shift = 2 * cell_log2 + 2
    # The sum is exact in int32, so its order is free: the columns are interpolated on the
    # grid's rows first (grid_h x W), then each band of output rows takes two whole rows of that
    # (row gathers are fast, column gathers are not). Bands bound the int32 working set to about
    # _BAND_SAMPLES samples: memory is the uint8 output plus a fixed amount. Same values as
    # rows-then-columns.
    cols = cw0[None, :, None] * g[:, c0] + cw1[None, :, None] * g[:, c1]  # (grid_h, W, 3)
    out = np.empty((height, width, 3), dtype=np.uint8)
    band = max(1, _BAND_SAMPLES // (3 * width))
    for y0 in range(0, height, band):
        y1 = min(height, y0 + band)
        acc = rw0[y0:y1, None, None] * cols[r0[y0:y1]]
        acc += rw1[y0:y1, None, None] * cols[r1[y0:y1]]
        acc += 1 << (shift - 1)
        acc >>= shift
        out[y0:y1] = acc
    return out
