"""The color map's analysis: a low-resolution version of the picture (non-normative).

The paper (§2.2.2) obtains its color map by "a series of Gaussian blurs and downsamplings"
(512x512 -> 16x16). :func:`color_grid` does exactly that, one factor of two at a time; the
quantization of the result to the bitstream's color map is ``ssgc_format``'s business, not this
module's.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from ssgc_format.errors import InputError

from .image_io import check_rgb
from .labels import MAX_CELL_LOG2, grid_shape

# Standard deviation (in pixels of the current level) of the Gaussian applied before each x2
# step. 1.0 with the 2x2 average that follows attenuates what the halved grid cannot represent
# (the response at the new Nyquist frequency is about 0.08) without smearing whole cells.
BLUR_SIGMA = 1.0
BLUR_TRUNCATE = 3.0


def color_grid(rgb: np.ndarray, cell_log2: int) -> np.ndarray:
    """Reduce ``rgb`` (``uint8 (H, W, 3)``) to one color per ``2**cell_log2`` square cell.

    Process (float32, per channel):

    1. pad the picture by edge replication on the bottom and right to
       ``(ceil(H/c)*c, ceil(W/c)*c)``, ``c = 2**cell_log2``;
    2. ``cell_log2`` times: Gaussian blur (sigma :data:`BLUR_SIGMA` = 1.0 px of the current level,
       truncated at 3 sigma, borders replicated), then average each 2x2 block (x2 downsampling,
       keeping the cell centres where they were);
    3. round half to even and clip to 0..255.

    Guarantees: output ``uint8 (ceil(H/c), ceil(W/c), 3)``; a constant picture gives that constant;
    ``cell_log2 = 0`` returns a copy. Raises :class:`InputError` for a bad array or ``cell_log2``
    outside ``0..8``.
    """
    check_rgb(rgb, "color_grid")
    if not isinstance(cell_log2, (int, np.integer)) or not 0 <= cell_log2 <= MAX_CELL_LOG2:
        raise InputError(f"color_grid: cell_log2 must be an integer 0..{MAX_CELL_LOG2}, got {cell_log2!r}")
    if cell_log2 == 0:
        return rgb.copy()
    height, width, _ = rgb.shape
    gh, gw = grid_shape(height, width, cell_log2)
    c = 1 << int(cell_log2)
    out = np.empty((gh, gw, 3), dtype=np.uint8)
    for ch in range(3):
        level = np.pad(
            rgb[:, :, ch].astype(np.float32), ((0, gh * c - height), (0, gw * c - width)), mode="edge"
        )
        for _ in range(int(cell_log2)):
            level = gaussian_filter(level, BLUR_SIGMA, mode="nearest", truncate=BLUR_TRUNCATE)
            h2, w2 = level.shape[0] // 2, level.shape[1] // 2
            level = level.reshape(h2, 2, w2, 2).mean(axis=(1, 3), dtype=np.float32)
        out[:, :, ch] = np.clip(np.rint(level), 0, 255).astype(np.uint8)
    return out
