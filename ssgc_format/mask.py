"""MASK payload: the region of interest as crack-code contours. Implements spec §6.

The mask is a bool ``(H, W)`` image, True inside the region of interest S (coded by VVC), False
where the decoder generates. It is carried on a *mask grid* of cells of ``2^k × 2^k`` pixels
(``k = mask_cell_log2``, 0..3): ``mh = ⌈H / 2^k⌉``, ``mw = ⌈W / 2^k⌉``. The payload codes the
boundary between set and unset cells as closed contours on the corner lattice (§6.3), and the
decoder turns them back into the exact grid with an even-odd fill (§6.4); the full-resolution
mask is the grid replicated and cropped (§6.6).

Guarantees: ``decode_mask(encode_mask(g, k), W, H) == (k, g)`` for every bool grid ``g`` of
shape ``mask_grid_size(W, H, k)[::-1]`` (any set: holes, several components, cells touching
diagonally, all set, all unset). ``encode_mask`` is deterministic. ``decode_mask`` raises only
:class:`FormatError` / :class:`LimitError` (chunk ``"MASK"``) for bad bytes, and does at most
``max_steps(mw, mh)`` ≤ 2^20 steps and allocations of the order of ``edge_count(mw, mh)``,
checked before allocating.

Symbol  →  meaning (names of the syntax elements of §6.2)
    mask_cell_log2      k, cell size 2^k pixels
    num_contours        number of contours, 0 for an empty mask
    start_delta         raster index of a contour's start corner minus the previous one's, minus 1
    first_direction     EAST (0) or SOUTH (1): direction of a contour's first step
    turn                STRAIGHT (0), LEFT (1), RIGHT (2): every further step, relative
"""

from __future__ import annotations

import numpy as np

from ssgc_format.contour import (
    EAST,
    SOUTH,
    STEP_X,
    STEP_Y,
    STRAIGHT,
    TURN_DELTA,
    directions_to_turns,
    edge_count,
    fill_from_vertical_edges,
    trace_contours,
)
from ssgc_format.entropy import AdaptiveModel, RangeDecoder, RangeEncoder, StaticModel
from ssgc_format.errors import FormatError, InputError, LimitError

CHUNK = "MASK"
MAX_CELL_LOG2 = 3  # cells of 1, 2, 4 or 8 pixels
CELL_LOG2_BITS = 2
MAX_DIMENSION = 16384  # §1.5: width and height of the image, in pixels
MAX_PIXELS = 1 << 26  # §1.5: width · height
TURN_INCREMENT, TURN_LIMIT = 24, 1 << 8  # adaptive model parameters (§6.2, §3.4): fast adaptation
TURN_CONTEXTS = 45
# §6.5: a payload walks at most 2^20 steps in all. Any mask's boundary has at most
# edge_count(mw, mh) edges, but a hostile or pathological payload of ~200 KB could otherwise
# make a decoder walk 1.3·10^8 steps; real ROI boundaries have thousands.
MAX_TOTAL_STEPS = 1 << 20


def mask_grid_size(width: int, height: int, cell_log2: int) -> tuple[int, int]:
    """``(mw, mh) = (⌈W / 2^k⌉, ⌈H / 2^k⌉)`` (§6.1)."""
    width, height, cell_log2 = int(width), int(height), int(cell_log2)
    if not 0 <= cell_log2 <= MAX_CELL_LOG2:
        raise InputError(f"mask_cell_log2 {cell_log2} outside 0..{MAX_CELL_LOG2}")
    c = (1 << cell_log2) - 1
    return (width + c) >> cell_log2, (height + c) >> cell_log2


def coarsen_mask(mask: np.ndarray, cell_log2: int) -> np.ndarray:
    """Informative encoder helper: a grid cell is set iff ANY of its pixels is set.

    So ``rasterize_mask(coarsen_mask(m, k), k, W, H)`` covers ``m`` (S never shrinks), and equals
    it when ``m`` is already made of whole cells.
    """
    mask = _check_bool_2d(mask, "mask")
    height, width = mask.shape
    mw, mh = mask_grid_size(width, height, cell_log2)
    c = 1 << cell_log2
    padded = np.zeros((mh * c, mw * c), dtype=bool)
    padded[:height, :width] = mask
    return np.asarray(padded.reshape(mh, c, mw, c).any(axis=(1, 3)))


def rasterize_mask(grid_mask: np.ndarray, cell_log2: int, width: int, height: int) -> np.ndarray:
    """NORMATIVE (§6.6): the ``(H, W)`` mask, ``m[y][x] = grid[y >> k][x >> k]``."""
    grid_mask = _check_bool_2d(grid_mask, "grid_mask")
    mw, mh = mask_grid_size(width, height, cell_log2)
    if grid_mask.shape != (mh, mw):
        raise InputError(f"grid mask is {grid_mask.shape}, expected {(mh, mw)} for {width}x{height} "
                         f"pixels and mask_cell_log2 {cell_log2}")
    rows = np.arange(height) >> cell_log2
    cols = np.arange(width) >> cell_log2
    return np.asarray(grid_mask[rows[:, None], cols[None, :]])


def _check_bool_2d(a: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2 or a.dtype != np.bool_ or a.shape[0] < 1 or a.shape[1] < 1:
        raise InputError(f"{name} must be a non-empty 2-D bool array, got {a.dtype} {a.shape}")
    return a


class _Models:
    """The adaptive models of one payload (§6.2): fresh for every payload."""

    def __init__(self) -> None:
        self.first_direction = AdaptiveModel(2, increment=TURN_INCREMENT, limit=TURN_LIMIT)
        self.turn = [AdaptiveModel(3, increment=TURN_INCREMENT, limit=TURN_LIMIT)
                     for _ in range(TURN_CONTEXTS)]


class _TurnContext:
    """Context of the next turn of a contour (§6.2.2), reset at every contour.

    ``t1``, ``t2``: the last two turns; ``run``: STRAIGHT turns since the last LEFT/RIGHT;
    ``prev_run``: the last nonzero such run. A digitised smooth curve repeats runs of nearly
    equal length, so ``run − prev_run`` predicts the next turn well.
    """

    __slots__ = ("t1", "t2", "run", "prev_run")

    def __init__(self) -> None:
        self.t1 = self.t2 = STRAIGHT
        self.run = self.prev_run = 0

    def index(self) -> int:
        rel = 4 if self.prev_run == 0 else min(max(self.run - self.prev_run, -2), 1) + 2
        return (3 * self.t1 + self.t2) * 5 + rel

    def update(self, turn: int) -> None:
        if turn == STRAIGHT:
            self.run += 1
        else:
            if self.run > 0:
                self.prev_run = self.run
            self.run = 0
        self.t1, self.t2 = turn, self.t1


def max_steps(mw: int, mh: int) -> int:
    """Most steps a payload may walk in all (§6.5): ``min(edge_count(mw, mh), 2^20)``."""
    return min(edge_count(mw, mh), MAX_TOTAL_STEPS)


def _max_contours(mw: int, mh: int) -> int:
    """Every contour has at least 4 steps (§6.5)."""
    return max_steps(mw, mh) // 4


def _count_prefix_model(max_contours: int) -> StaticModel:
    return StaticModel.uniform(max_contours.bit_length() + 1)


def encode_mask(grid_mask: np.ndarray, cell_log2: int) -> bytes:
    """MASK payload of a bool ``(mh, mw)`` grid with cells of ``2^cell_log2`` pixels (§6.2).

    Deterministic: contours are those of :func:`ssgc_format.contour.trace_contours`. The caller
    must pass the grid of shape ``mask_grid_size(W, H, cell_log2)[::-1]`` for the image size the
    decoder will be given.
    """
    grid_mask = _check_bool_2d(grid_mask, "grid_mask")
    if not 0 <= cell_log2 <= MAX_CELL_LOG2:
        raise InputError(f"mask_cell_log2 {cell_log2} outside 0..{MAX_CELL_LOG2}")
    mh, mw = grid_mask.shape
    cell_log2 = int(cell_log2)
    if mh * mw > MAX_PIXELS:
        raise InputError(f"mask grid {mw}x{mh} exceeds {MAX_PIXELS} cells")
    contours = trace_contours(grid_mask)
    total = sum(len(dirs) for _, _, dirs in contours)
    if total > MAX_TOTAL_STEPS:
        raise InputError(f"the mask boundary has {total} edges, more than the {MAX_TOTAL_STEPS} a "
                         f"MASK payload may carry: use a larger mask_cell_log2 or a simpler mask")
    enc = RangeEncoder()
    enc.encode_bits(cell_log2, CELL_LOG2_BITS)
    max_contours = _max_contours(mw, mh)
    _encode_count(enc, len(contours), max_contours)
    models = _Models()
    corners = (mw + 1) * (mh + 1)
    previous = -1
    for x0, y0, dirs in contours:
        start = y0 * (mw + 1) + x0
        _encode_start_delta(enc, start - previous - 1, corners - previous - 1)
        previous = start
        enc.encode(0 if dirs[0] == EAST else 1, models.first_direction)
        ctx = _TurnContext()
        for turn in directions_to_turns(dirs):
            enc.encode(turn, models.turn[ctx.index()])
            ctx.update(turn)
    return enc.to_bytes()


def _encode_count(enc: RangeEncoder, count: int, max_contours: int) -> None:
    """num_contours: its bit length with a uniform model, then the bits below the leading 1."""
    prefix = count.bit_length()
    enc.encode(prefix, _count_prefix_model(max_contours))
    if prefix >= 2:
        enc.encode_bits(count - (1 << (prefix - 1)), prefix - 1)


def _encode_start_delta(enc: RangeEncoder, delta: int, remaining: int) -> None:
    """start_delta in 0..remaining−1, raw bits; nothing when only one value is possible."""
    if remaining >= 2:
        enc.encode_bits(delta, (remaining - 1).bit_length())


def _fail(message: str) -> FormatError:
    return FormatError(message, chunk=CHUNK)


def decode_mask(data: bytes, width: int, height: int) -> tuple[int, np.ndarray]:
    """Decode a MASK payload for a ``width × height`` image: ``(mask_cell_log2, grid mask)``.

    The grid is bool ``(mh, mw)``; :func:`rasterize_mask` gives the full-resolution mask.
    Raises :class:`FormatError` / :class:`LimitError` with chunk ``"MASK"`` for any bad payload.
    """
    width, height = int(width), int(height)
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise LimitError(f"image size {width}x{height} outside 1..{MAX_DIMENSION}", chunk=CHUNK)
    if width * height > MAX_PIXELS:
        raise LimitError(f"image of {width * height} pixels exceeds {MAX_PIXELS}", chunk=CHUNK)
    dec = RangeDecoder(data, chunk=CHUNK)
    cell_log2 = dec.decode_bits(CELL_LOG2_BITS)
    mw, mh = mask_grid_size(width, height, cell_log2)
    max_contours = _max_contours(mw, mh)
    prefix = dec.decode(_count_prefix_model(max_contours))
    count = prefix if prefix < 2 else (1 << (prefix - 1)) | dec.decode_bits(prefix - 1)
    if count > max_contours:
        raise LimitError(f"num_contours {count} exceeds {max_contours} for a {mw}x{mh} grid",
                         chunk=CHUNK)
    xs, ys = _decode_contours(dec, count, mw, mh)
    return cell_log2, fill_from_vertical_edges(np.asarray(xs, dtype=np.intp),
                                               np.asarray(ys, dtype=np.intp), mw, mh)


def _decode_contours(dec: RangeDecoder, count: int, mw: int, mh: int) -> tuple[list[int], list[int]]:
    """Walk every contour (§6.3); returns the upper corners of the vertical edges walked."""
    total_edges = edge_count(mw, mh)
    limit = max_steps(mw, mh)
    horizontal = (mh + 1) * mw  # edge ids: horizontal first, then vertical (§6.5)
    # np.zeros maps zero pages lazily: memory grows with the edges walked, not with the lattice
    used = np.zeros(total_edges, dtype=np.uint8)
    models = _Models()
    corners = (mw + 1) * (mh + 1)
    previous = -1
    steps = 0
    xs, ys = [], []
    for i in range(count):
        remaining = corners - previous - 1
        if remaining < 1:
            raise _fail(f"contour {i}: no lattice corner left for its start")
        delta = dec.decode_bits((remaining - 1).bit_length()) if remaining >= 2 else 0
        if delta >= remaining:
            raise _fail(f"contour {i}: start_delta {delta} beyond the last corner")
        start = previous + 1 + delta
        previous = start
        x0, y0 = start % (mw + 1), start // (mw + 1)
        x, y = x0, y0
        d = EAST if dec.decode(models.first_direction) == 0 else SOUTH
        ctx = _TurnContext()
        length = 0
        while True:
            nx, ny = x + STEP_X[d], y + STEP_Y[d]
            if not (0 <= nx <= mw and 0 <= ny <= mh):
                raise _fail(f"contour {i} leaves the {mw + 1}x{mh + 1} corner lattice at step "
                            f"{length} (corner ({nx}, {ny}))")
            if d & 1:  # vertical edge between rows min(y, ny) and +1
                top = min(y, ny)
                edge = horizontal + top * (mw + 1) + x
                xs.append(x)
                ys.append(top)
            else:
                edge = y * mw + min(x, nx)
            if used[edge]:
                raise _fail(f"contour {i} walks an edge a second time at step {length} "
                            f"(corner ({x}, {y}))")
            used[edge] = 1
            length += 1
            steps += 1
            if steps > limit:
                raise LimitError(f"contour {i}: more than {limit} steps in all", chunk=CHUNK)
            x, y = nx, ny
            if x == x0 and y == y0:
                break
            turn = dec.decode(models.turn[ctx.index()])
            d = (d + TURN_DELTA[turn]) & 3
            ctx.update(turn)
        if length < 4:  # a closed walk on distinct edges has ≥ 4; kept as the §6.5 check
            raise _fail(f"contour {i} has {length} steps, fewer than 4")
    return xs, ys
