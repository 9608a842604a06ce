"""The normative reconstruction of the generator's inputs and the final compositing.
Implements spec §9.2-§9.5.

From a parsed :class:`~ssgc_format.file.SSGCImage` a decoder computes, bit-exactly:

* the full-resolution label image (§4.4) and color image (§5.5), the generator's inputs;
* the full-resolution mask ``m`` (§6.5), restricted to the ROI placement rectangle (§9.3);
* the final image ``x~ = m ? x~_C : x~_G`` (§9.4), where ``x~_C`` is the decoded ROI placed at
  its rectangle and ``x~_G`` the generated image (or the preview, §9.5).

Only numpy; the ROI pixels come in already converted to RGB (clause 7).
"""

from __future__ import annotations

import numpy as np

from ssgc_format import colormap, labelmap, mask as maskmod
from ssgc_format.errors import FormatError
from ssgc_format.file import SSGCImage


def label_image(img: SSGCImage) -> np.ndarray:
    """§4.4: uint8 (H, W) COCO-Stuff ids, 182 = unlabeled."""
    h = img.header
    return labelmap.upsample_label_map(img.labels, h.width, h.height, h.label_cell_log2)


def color_grid_rgb(img: SSGCImage) -> np.ndarray:
    """§5.4: the dequantized color map, uint8 RGB (gh, gw, 3)."""
    h = img.header
    return colormap.dequantize_color_map(img.colors, h.color_space, h.color_steps)


def color_image(img: SSGCImage) -> np.ndarray:
    """§5.5: the color map upsampled to uint8 RGB (H, W, 3): the preview and the SDEdit input."""
    h = img.header
    return colormap.upsample_color_map(color_grid_rgb(img), h.width, h.height, h.color_cell_log2)


def mask_image(img: SSGCImage) -> np.ndarray:
    """§9.3: bool (H, W), the rasterized mask AND the ROI placement rectangle; all False without ROI."""
    h = img.header
    m = np.zeros((h.height, h.width), dtype=bool)
    if img.mask is None or img.roi is None:
        return m
    maskmod.mask_grid_size(h.width, h.height, img.mask.cell_log2)  # checks cell_log2
    k, g = img.mask.cell_log2, img.mask.grid
    if g.shape != maskmod.mask_grid_size(h.width, h.height, k)[::-1]:
        raise FormatError(f"mask grid {g.shape} does not match the picture", chunk="MASK")
    r = img.roi
    # m[y][x] = grid[y >> k][x >> k] (§6.6), computed on the rectangle only (the rest is 0, §9.3)
    rows = np.arange(r.y, r.y + r.height) >> k
    cols = np.arange(r.x, r.x + r.width) >> k
    m[r.y: r.y + r.height, r.x: r.x + r.width] = g[rows[:, None], cols[None, :]]
    return m


FEATHER_RADIUS = 3  # 7x7 window (§8.8)


def feather_weights(mask: np.ndarray, radius: int = FEATHER_RADIUS) -> np.ndarray:
    """§8.8: A (H, W) int32 in 0..256: 0 outside the mask, (256*S + N//2) // N inside, where S is
    the number of mask pixels in the (2r+1)^2 window (edge-replicated) and N = (2r+1)^2."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {m.shape}")
    b = (m != 0).astype(np.int64)
    n = (2 * radius + 1) ** 2
    p = np.pad(b, radius, mode="edge")
    # 2-D box sum with an integral image (exact integers)
    ii = np.zeros((p.shape[0] + 1, p.shape[1] + 1), dtype=np.int64)
    ii[1:, 1:] = p.cumsum(0).cumsum(1)
    k = 2 * radius + 1
    s = ii[k:, k:] - ii[:-k, k:] - ii[k:, :-k] + ii[:-k, :-k]
    a = (256 * s + n // 2) // n
    return np.where(b == 1, a, 0).astype(np.int32)


def _feather_weights_window(mask: np.ndarray, y0: int, y1: int, x0: int, x1: int,
                            radius: int = FEATHER_RADIUS) -> np.ndarray:
    """:func:`feather_weights` of the whole mask, restricted to rows y0..y1-1, columns x0..x1-1,
    computed from the mask within ``radius`` of that window (edge replication at the picture's
    border only): same values, memory of the window's size."""
    hh, ww = mask.shape
    ya, yb, xa, xb = max(0, y0 - radius), min(hh, y1 + radius), max(0, x0 - radius), min(ww, x1 + radius)
    b = (np.asarray(mask)[ya:yb, xa:xb] != 0).astype(np.int64)
    pad = ((radius - (y0 - ya), radius - (yb - y1)), (radius - (x0 - xa), radius - (xb - x1)))
    p = np.pad(b, pad, mode="edge")
    n = (2 * radius + 1) ** 2
    ii = np.zeros((p.shape[0] + 1, p.shape[1] + 1), dtype=np.int64)
    ii[1:, 1:] = p.cumsum(0).cumsum(1)
    k = 2 * radius + 1
    s = ii[k:, k:] - ii[:-k, k:] - ii[k:, :-k] + ii[:-k, :-k]
    inside = b[y0 - ya: y0 - ya + (y1 - y0), x0 - xa: x0 - xa + (x1 - x0)]
    return np.where(inside == 1, (256 * s + n // 2) // n, 0).astype(np.int32)


def feathered_composite(generated: np.ndarray, roi_rgb: np.ndarray, mask: np.ndarray,
                        radius: int = FEATHER_RADIUS) -> np.ndarray:
    """§8.8: out = (A*C + (256-A)*G + 128) >> 8 per sample, uint8 (H, W, 3); C and G full size."""
    g = np.asarray(generated)
    c = np.asarray(roi_rgb)
    if g.shape != c.shape or g.ndim != 3 or g.shape[:2] != np.asarray(mask).shape:
        raise ValueError(f"composite shapes differ: generated {g.shape}, ROI {c.shape}, mask {np.shape(mask)}")
    a = feather_weights(mask, radius)[..., None].astype(np.int32)
    out = (a * c.astype(np.int32) + (256 - a) * g.astype(np.int32) + 128) >> 8
    return out.astype(np.uint8)


def composite(generated: np.ndarray, img: SSGCImage, roi_rgb: np.ndarray | None,
              mask: np.ndarray | None = None, *, in_place: bool = False) -> np.ndarray:
    """§9.4: paste the decoded ROI over ``generated`` (uint8 (H, W, 3)) where the mask is set,
    or blend it with the weights of §8.8 when the generation parameters' flags set FEATHER (§8.2).

    ``roi_rgb`` is the decoded ROI (uint8 (roi.height, roi.width, 3)); ``mask`` defaults to
    :func:`mask_image`. Returns a new array and leaves ``generated`` unmodified, unless
    ``in_place`` (then ``generated`` itself is overwritten and returned: no copy of the picture).
    """
    h = img.header
    if generated.shape != (h.height, h.width, 3) or generated.dtype != np.uint8:
        raise ValueError(f"generated image must be uint8 {(h.height, h.width, 3)}, got "
                         f"{generated.dtype} {generated.shape}")
    out = generated if in_place else generated.copy()
    if img.roi is None:
        return out
    r = img.roi
    if roi_rgb is None or roi_rgb.shape != (r.height, r.width, 3):
        got = None if roi_rgb is None else roi_rgb.shape
        raise FormatError(f"decoded ROI is {got}, placement rectangle is {r.width}x{r.height}", chunk="ROIC")
    m = mask_image(img) if mask is None else mask
    if img.genparams.feather:
        # Outside the rectangle C = G, so §8.8 gives G there whatever A: blend the rectangle only,
        # with A from the mask around it (the 7x7 windows reach 3 pixels beyond it).
        y0, y1, x0, x1 = r.y, r.y + r.height, r.x, r.x + r.width
        a = _feather_weights_window(m, y0, y1, x0, x1)[..., None]
        g = generated[y0:y1, x0:x1].astype(np.int32)
        out[y0:y1, x0:x1] = (a * roi_rgb.astype(np.int32) + (256 - a) * g + 128) >> 8
        return out
    window = out[r.y: r.y + r.height, r.x: r.x + r.width]
    sel = m[r.y: r.y + r.height, r.x: r.x + r.width]
    np.copyto(window, roi_rgb, where=sel[..., None])  # no index arrays: memory stays O(1)
    return out


def preview(img: SSGCImage, roi_rgb: np.ndarray | None) -> np.ndarray:
    """§9.5: the normative non-generative decode: the upsampled color map with the ROI pasted."""
    return composite(color_image(img), img, roi_rgb, in_place=True)  # the color image is ours
