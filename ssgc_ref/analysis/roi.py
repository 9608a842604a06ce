"""Choosing the region of interest S (non-normative).

The paper draws S by hand and names automatic selection as future work. The reference encoder
offers: faces found by scikit-image's LBP frontal-face cascade (:func:`faces_mask`), a rectangle
given on the command line (:func:`rect_mask`), or a mask image (:func:`load_mask`).
:func:`roi_rectangle` gives the even-aligned bounding box the VVC substream codes.

Masks are ``bool (H, W)`` arrays, ``True`` inside S.
"""

from __future__ import annotations

import math
import os
import re
from functools import lru_cache
from typing import Union

import numpy as np

from ssgc_format.errors import InputError

from .image_io import check_rgb, open_checked

Box = tuple[int, int, int, int]  # (x, y, w, h), pixels, x/y the top-left corner

# Cascade settings, tuned on scikit-image's astronaut and matplotlib's grace_hopper: each face
# found exactly once, and no false detection on coffee, chelsea, rocket, horse, retina.
FACE_SCALE_FACTOR = 1.1
FACE_STEP_RATIO = 1
FACE_MIN_NEIGHBORS = 8
FACE_MIN_SIDE = 24  # the cascade's window
# Faces are searched on a grayscale copy whose longer side is at most this (block-mean reduced):
# keeps the search under a second or so for any input size.
FACE_SEARCH_MAX_SIDE = 1024


@lru_cache(maxsize=1)
def _cascade():
    from skimage import data
    from skimage.feature import Cascade

    return Cascade(data.lbp_frontal_face_cascade_filename())


def detect_faces(rgb: np.ndarray) -> list[Box]:
    """Frontal faces in ``rgb`` (``uint8 (H, W, 3)``), as ``(x, y, w, h)`` boxes in pixels.

    Uses scikit-image's LBP frontal-face cascade on ``skimage.color.rgb2gray`` luma, reduced by an
    integer block-mean factor so that the longer side is <= 1024, windows from
    ``max(24, min(H, W) / 16)`` to ``min(H, W)`` pixels, scale step 1.1, and at least 8
    overlapping raw detections per reported face. Boxes lie inside the image, sorted by area,
    largest first; overlapping detections are merged by the cascade itself. May return ``[]``.
    """
    check_rgb(rgb, "detect_faces")
    from skimage.color import rgb2gray
    from skimage.transform import downscale_local_mean

    height, width, _ = rgb.shape
    gray = rgb2gray(rgb)
    factor = max(1, math.ceil(max(height, width) / FACE_SEARCH_MAX_SIDE))
    if factor > 1:
        gray = downscale_local_mean(gray, (factor, factor))
    gh, gw = gray.shape
    small = min(gh, gw)
    min_side = max(FACE_MIN_SIDE, small // 16)
    if small < min_side:
        return []
    found = _cascade().detect_multi_scale(
        img=gray,
        scale_factor=FACE_SCALE_FACTOR,
        step_ratio=FACE_STEP_RATIO,
        min_size=(min_side, min_side),
        max_size=(small, small),
        min_neighbor_number=FACE_MIN_NEIGHBORS,
    )
    boxes = []
    for d in found:
        x0, y0 = int(d["c"]) * factor, int(d["r"]) * factor
        x1 = min(width, x0 + int(d["width"]) * factor)
        y1 = min(height, y0 + int(d["height"]) * factor)
        if x1 > x0 and y1 > y0:
            boxes.append((x0, y0, x1 - x0, y1 - y0))
    boxes.sort(key=lambda b: (-b[2] * b[3], b[1], b[0]))
    return boxes


def boxes_mask(boxes: list[Box], height: int, width: int, margin: float = 0.0) -> np.ndarray:
    """Union of ``boxes``, each grown by ``margin * w`` left and right and ``margin * h`` above
    and below (rounded outward), clipped to the image. ``bool (height, width)``."""
    mask = np.zeros((height, width), dtype=bool)
    for x, y, w, h in boxes:
        x0 = max(0, math.floor(x - margin * w))
        y0 = max(0, math.floor(y - margin * h))
        x1 = min(width, math.ceil(x + w + margin * w))
        y1 = min(height, math.ceil(y + h + margin * h))
        mask[y0:y1, x0:x1] = True
    return mask


def faces_mask(rgb: np.ndarray, margin: float = 0.25) -> np.ndarray:
    """ROI mask of every face :func:`detect_faces` finds, each box grown by ``margin`` of its
    size on every side (0.25: a 93-px face becomes a 140-px square). ``bool (H, W)``.

    Raises :class:`InputError` if no face is found, or ``margin`` is not in ``[0, 4]``.
    """
    if not isinstance(margin, (int, float)) or not 0 <= margin <= 4:
        raise InputError(f"faces_mask: margin must be a number in [0, 4], got {margin!r}")
    boxes = detect_faces(rgb)
    if not boxes:
        h, w, _ = rgb.shape
        raise InputError(
            f"no frontal face found in the {w}x{h} image (scikit-image LBP cascade; faces smaller "
            f"than {max(FACE_MIN_SIDE, min(h, w) // 16)} px, in profile or tilted are missed): "
            f"give the region of interest as a rectangle ('x,y,w,h') or a mask image instead"
        )
    return boxes_mask(boxes, rgb.shape[0], rgb.shape[1], margin)


# What --roi faces does with a picture in which no face is found (documented in encode --help):
NO_FACE_POLICIES = ("whole", "semantic", "skip")
DEFAULT_NO_FACE = "semantic"


def faces_roi(rgb: np.ndarray, margin: float = 0.25, no_face: str = DEFAULT_NO_FACE) -> tuple[np.ndarray | None, str]:
    """:func:`faces_mask` with a fallback for pictures without a detected face: ``(mask, outcome)``.

    ``no_face``: 'whole' makes the whole picture the ROI (VVC codes everything), 'semantic' gives no
    ROI (the whole picture is generated), 'skip' asks the caller not to encode the picture (mask None).
    ``outcome`` says what happened, for logs and manifests: 'faces:N' (N faces found), or
    'no-face:whole', 'no-face:semantic', 'no-face:skip'.
    """
    if no_face not in NO_FACE_POLICIES:
        raise InputError(f"no-face policy {no_face!r}: valid are {', '.join(NO_FACE_POLICIES)}")
    if not isinstance(margin, (int, float)) or not 0 <= margin <= 4:
        raise InputError(f"faces_roi: margin must be a number in [0, 4], got {margin!r}")
    boxes = detect_faces(rgb)
    if boxes:
        return boxes_mask(boxes, rgb.shape[0], rgb.shape[1], margin), f"faces:{len(boxes)}"
    if no_face == "whole":
        return np.ones(rgb.shape[:2], dtype=bool), "no-face:whole"
    return None, f"no-face:{no_face}"


_RECT_RE = re.compile(r"^\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*$")


def rect_mask(spec: str, height: int, width: int) -> np.ndarray:
    """ROI mask of the rectangle ``"x,y,w,h"`` (non-negative integers, ``w, h >= 1``), which must
    lie inside the ``width x height`` image. ``bool (height, width)``; InputError otherwise."""
    m = _RECT_RE.match(spec) if isinstance(spec, str) else None
    if m is None:
        raise InputError(f"ROI rectangle {spec!r}: expected 'x,y,w,h' with non-negative integers")
    x, y, w, h = (int(v) for v in m.groups())
    if w < 1 or h < 1:
        raise InputError(f"ROI rectangle {spec!r}: width and height must be at least 1")
    if x + w > width or y + h > height:
        raise InputError(
            f"ROI rectangle {spec!r} (right edge {x + w}, bottom edge {y + h}) does not fit "
            f"in the {width}x{height} image"
        )
    mask = np.zeros((height, width), dtype=bool)
    mask[y : y + h, x : x + w] = True
    return mask


def load_mask(path: Union[str, os.PathLike], height: int, width: int) -> np.ndarray:
    """Read a mask image: a pixel is in the ROI iff any of its colour channels is nonzero
    (alpha is ignored; palette images are expanded to their colours; 16-bit values count as
    nonzero if > 0). The image must be ``width x height`` after EXIF orientation and hold at least
    one ROI pixel. ``bool (height, width)``; InputError otherwise (unreadable file included).
    """
    im = open_checked(path, "mask image")
    if im.size != (width, height):
        raise InputError(
            f"mask image {str(path)!r} is {im.size[0]}x{im.size[1]}, the picture is {width}x{height}"
        )
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F", "1", "L"):
        mask = np.asarray(im) != 0
    else:
        mode = "RGBA" if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info else "RGB"
        mask = np.asarray(im.convert(mode))[..., :3].any(axis=2)
    if not mask.any():
        raise InputError(f"mask image {str(path)!r} has no nonzero pixel: the ROI would be empty")
    return np.ascontiguousarray(mask)


def roi_rectangle(mask: np.ndarray) -> Box:
    """Bounding box ``(x, y, w, h)`` of the ``True`` pixels of ``mask`` with even ``w`` and ``h``
    (a 4:2:0 VVC picture has even dimensions, spec 7.3).

    The box is rounded outward to even coordinates and clipped to the image. Where that leaves an
    odd side (the box reaches the border of an image of odd width or height), the box grows by one
    pixel on the other side; if it already spans the whole odd side, it drops the last column
    (row): those mask pixels are then generated, since the decoder pastes the ROI only inside the
    rectangle (spec 9.3).

    Guarantees: the box lies inside the image, ``w`` and ``h`` are even and at least 2, and it
    contains every ``True`` pixel except in the whole-odd-side case above.
    Raises :class:`InputError` if the mask is not a 2-D array, holds no ``True`` pixel, or the
    image is narrower or lower than 2 pixels.
    """
    if not isinstance(mask, np.ndarray) or mask.ndim != 2 or mask.size == 0:
        raise InputError(f"roi_rectangle: need a non-empty 2-D mask, got {getattr(mask, 'shape', type(mask).__name__)}")
    m = mask.astype(bool, copy=False)
    rows = np.flatnonzero(m.any(axis=1))
    cols = np.flatnonzero(m.any(axis=0))
    if rows.size == 0:
        raise InputError("roi_rectangle: the mask is empty (no ROI pixel)")
    height, width = m.shape
    if width < 2 or height < 2:
        raise InputError(f"a {width}x{height} image is too small for a VVC-coded ROI (4:2:0 needs 2x2)")

    def span(first: int, last: int, size: int) -> tuple[int, int]:
        lo, hi = first & ~1, min(size, (last + 2) & ~1)
        if (hi - lo) % 2:  # only when hi == size is odd
            lo = lo - 1 if lo > 0 else lo
            hi = hi if (hi - lo) % 2 == 0 else hi - 1
        return lo, hi - lo

    x, w = span(int(cols[0]), int(cols[-1]), width)
    y, h = span(int(rows[0]), int(rows[-1]), height)
    return x, y, w, h
