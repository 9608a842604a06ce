"""Crack-code contours on the corner lattice of a mask grid. Implements spec §6.3 and §6.4.

A mask grid of ``mw × mh`` cells has ``(mw + 1) × (mh + 1)`` corners; corner ``(x, y)`` is the
top-left corner of cell ``(x, y)``. A contour is a closed walk along unit edges of that lattice,
one edge per step, in one of four directions (y grows downwards):

    direction  d   step        cell on its right   cell on its left
    EAST       0   (+1,  0)    (x,     y)          (x,     y − 1)
    SOUTH      1   ( 0, +1)    (x − 1, y)          (x,     y)
    WEST       2   (−1,  0)    (x − 1, y − 1)      (x − 1, y)
    NORTH      3   ( 0, −1)    (x,     y − 1)      (x − 1, y − 1)

(``(x, y)`` is the corner the step starts from.) The encoder traces every boundary edge once with
the set cell on its RIGHT, so outer boundaries run clockwise on screen and holes anticlockwise.
Each step after the first is a relative turn: STRAIGHT (d unchanged), LEFT (d + 3 mod 4) or RIGHT
(d + 1 mod 4); a U-turn cannot occur.

Normative here: the direction and turn tables and the even-odd fill of
:func:`fill_from_vertical_edges` (the decoder's walk lives in ``ssgc_format.mask``).
Informative: :func:`trace_contours`, the encoder's deterministic tracing (contours in raster
order of their top-left corner; at a corner where two set cells touch only diagonally it turns
RIGHT, so set cells are 4-connected).
"""

from __future__ import annotations

import numpy as np

EAST, SOUTH, WEST, NORTH = 0, 1, 2, 3
STRAIGHT, LEFT, RIGHT = 0, 1, 2  # turn symbols (§6.2)
TURN_DELTA = (0, 3, 1)  # d' = (d + TURN_DELTA[turn]) mod 4
STEP_X = (1, 0, -1, 0)
STEP_Y = (0, 1, 0, -1)

# For a step leaving corner (x, y) in direction d: offsets of the cells on its right and on its
# left, relative to (x, y) in cell coordinates (the table of the module docstring).
_RIGHT_CELL = ((0, 0), (-1, 0), (-1, -1), (0, -1))
_LEFT_CELL = ((0, -1), (0, 0), (-1, 0), (-1, -1))


def edge_count(mw: int, mh: int) -> int:
    """Number of unit edges of the lattice: ``2·mw·mh + mw + mh`` (§6.5).

    Every boundary edge of any mask is one of them, so it bounds the total number of steps.
    """
    return 2 * mw * mh + mw + mh


def trace_contours(grid: np.ndarray) -> list[tuple[int, int, list[int]]]:
    """Trace the boundary of a bool ``(mh, mw)`` grid (informative encoder process, §6.4).

    Returns ``[(x0, y0, directions), ...]``: each contour starts at its top-left corner (the
    first of its corners in raster order) and lists the direction of every step; the contours
    are in raster order of their start corners. Every boundary edge appears in exactly one
    contour, with the set cell on its right. Where several continuations are possible (two set
    cells touching only at a corner) the walk takes the first valid of RIGHT, STRAIGHT, LEFT.
    """
    mh, mw = grid.shape
    padded = np.zeros((mh + 2, mw + 2), dtype=bool)
    padded[1:-1, 1:-1] = grid
    # Candidate starts: an EAST step from corner (x, y) has its set cell below (cell (x, y)) and
    # the unset one above; a SOUTH step has the set cell on its west. At most one per corner.
    below, above = padded[1:, 1:-1], padded[:-1, 1:-1]          # (mh+1, mw): row y of corners
    west, east = padded[1:-1, :-1], padded[1:-1, 1:]            # (mh, mw+1)
    ey, ex = np.nonzero(below & ~above)
    sy, sx = np.nonzero(west & ~east)
    stride = mw + 1
    starts = sorted([(int(y) * stride + int(x), EAST) for y, x in zip(ey, ex)]
                    + [(int(y) * stride + int(x), SOUTH) for y, x in zip(sy, sx)])
    item = padded.item  # one cell as a Python bool; the walk touches only boundary corners

    def valid(x: int, y: int, d: int) -> bool:  # boundary edge with the set cell on its right
        rx, ry = _RIGHT_CELL[d]
        lx, ly = _LEFT_CELL[d]
        return item(y + ry + 1, x + rx + 1) and not item(y + ly + 1, x + lx + 1)

    used_e = set()  # start corners of EAST/SOUTH steps already traced
    contours = []
    for index, d0 in starts:
        if (index, d0) in used_e:
            continue
        x0, y0 = index % stride, index // stride
        x, y, d = x0, y0, d0
        dirs = []
        while True:
            if d in (EAST, SOUTH):
                used_e.add((y * stride + x, d))
            dirs.append(d)
            x += STEP_X[d]
            y += STEP_Y[d]
            if x == x0 and y == y0:
                break
            for turn in (RIGHT, STRAIGHT, LEFT):
                nd = (d + TURN_DELTA[turn]) & 3
                if valid(x, y, nd):
                    d = nd
                    break
            else:  # cannot happen for a boundary: every corner has in-degree = out-degree
                raise AssertionError(f"contour broken at corner ({x}, {y})")
        contours.append((x0, y0, dirs))
    return contours


def directions_to_turns(dirs: list[int]) -> list[int]:
    """Turn symbols of steps 2..L of a contour (the first step is coded as a direction)."""
    inverse = {0: STRAIGHT, 3: LEFT, 1: RIGHT}
    return [inverse[(b - a) & 3] for a, b in zip(dirs, dirs[1:])]


def fill_from_vertical_edges(xs: np.ndarray, ys: np.ndarray, mw: int, mh: int) -> np.ndarray:
    """Even-odd fill on crack edges (normative, §6.4).

    ``(xs[i], ys[i])`` is the upper corner of a vertical unit edge, each edge listed once
    (``0 ≤ x ≤ mw``, ``0 ≤ y < mh``). Cell ``(x, y)`` is set iff the number of listed edges of
    row ``y`` at a corner ``x' ≤ x`` is odd.
    """
    toggles = np.zeros((mh, mw + 1), dtype=np.uint8)
    toggles[ys, xs] = 1  # edges are distinct, so assignment is the toggle
    np.bitwise_xor.accumulate(toggles, axis=1, out=toggles)  # in place: one grid of memory
    return np.asarray(toggles[:, :mw].view(np.bool_))  # values are 0/1: a bool view, no copy
