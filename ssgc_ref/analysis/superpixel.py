"""The weight-free default segmenter: SLIC superpixels + hand-written rules (non-normative).

This is NOT a trained segmenter. It exists so the encoder works on a fresh machine without model
weights. Each SLIC superpixel is described by its mean CIELAB colour, its texture (mean Sobel
gradient of L*), its vertical position, and its overlap with detected faces, and is given one
of a dozen landscape classes of COCO-Stuff by the ordered rules in :func:`classify_superpixels`
(first match wins). Outdoor scenes (sky, vegetation, water, rock, sand, snow) come out
plausibly; indoor scenes, objects and animals do not (see ``benchmarks/segmentation.py``).
"""

from __future__ import annotations

import math

import numpy as np

from ssgc_format.errors import InputError

from .image_io import check_rgb
from .labels import label_ids
from .segmenters import register_segmenter

# The classes this segmenter can produce (names of the COCO-Stuff table).
CLASS_NAMES = (
    "person", "sky-other", "clouds", "tree", "grass", "bush", "mountain", "rock", "sea",
    "sand", "snow", "dirt", "wood", "building-other", "wall-other", "flower",
)

# SLIC runs on a copy whose longer side is at most this (block-mean reduced): ~0.3 s per image.
ANALYSIS_MAX_SIDE = 512
# One superpixel per this many analysis pixels (~330 for 512x512).
PIXELS_PER_SEGMENT = 800
SLIC_COMPACTNESS = 10.0


def _reduce(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    h, w, _ = rgb.shape
    f = max(1, math.ceil(max(h, w) / ANALYSIS_MAX_SIDE))
    if f == 1:
        return rgb.astype(np.float32) / 255.0, 1
    from skimage.transform import downscale_local_mean

    return downscale_local_mean(rgb.astype(np.float32) / 255.0, (f, f, 1)).astype(np.float32), f


def superpixel_features(rgb01: np.ndarray, segments: np.ndarray, face_boxes=()) -> dict[str, np.ndarray]:
    """Per-superpixel features, arrays of length ``segments.max() + 1``.

    ``L, a, b`` mean CIELAB; ``C`` chroma; ``tex`` mean Sobel magnitude of L* (L* units per
    pixel); ``cy`` centroid row / height (0 = top); ``top`` fraction of the segment's pixels in
    the top 5% rows; ``face``/``body`` fraction inside face boxes / below-face body boxes
    (in ``segments``' pixel coordinates).
    """
    from skimage.color import rgb2lab
    from skimage.filters import sobel

    h, w = segments.shape
    n = int(segments.max()) + 1
    flat = segments.ravel()
    count = np.bincount(flat, minlength=n).astype(np.float64)
    count[count == 0] = 1

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(flat, weights=values.ravel().astype(np.float64), minlength=n) / count

    lab = rgb2lab(rgb01)
    f = {"L": mean(lab[..., 0]), "a": mean(lab[..., 1]), "b": mean(lab[..., 2])}
    f["C"] = np.hypot(f["a"], f["b"])
    f["tex"] = mean(sobel(lab[..., 0]))
    rows = np.broadcast_to(np.arange(h, dtype=np.float64)[:, None], (h, w))
    f["cy"] = mean(rows) / max(1, h - 1)
    f["top"] = mean(rows < max(1, round(0.05 * h)))
    face = np.zeros((h, w), dtype=bool)
    body = np.zeros((h, w), dtype=bool)
    for x, y, bw, bh in face_boxes:
        face[max(0, y - bh // 4) : y + bh + bh // 4, max(0, x - bw // 4) : x + bw + bw // 4] = True
        # shoulders and torso: 3 face widths wide, down to 4 face heights below the chin
        body[y + bh : y + 5 * bh, max(0, x - bw) : x + 2 * bw] = True
    f["face"] = mean(face)
    f["body"] = mean(body)
    return f


def classify_superpixels(f: dict[str, np.ndarray]) -> np.ndarray:
    """Generator id per superpixel from :func:`superpixel_features`, by ordered rules.

    Thresholds are in CIELAB units (L* 0..100, a*/b* about -100..100) and were set by looking at
    the benchmark images; they encode "blue and smooth up high is sky", "green and textured is a
    tree", and so on. Nothing was fitted to data.
    """
    ids = label_ids()
    L, a, b, C, tex, cy, top = (f[k] for k in ("L", "a", "b", "C", "tex", "cy", "top"))
    smooth = tex < 1.5
    very_smooth = tex < 0.8
    upper = cy < 0.45
    lower = cy > 0.55
    blue = (b < -5) & (a < 12) & (b < -0.3 * np.abs(a) - 4)
    greenish = (a < -5) & (b > -5) & (L > 10)
    pale = (C < 10) & (L > 70)
    hue = np.degrees(np.arctan2(b, a)) % 360
    yellow_green = (hue > 95) & (hue < 200) & (C > 10) & (L > 12)
    rules = [
        ("person", (f["face"] > 0.5) | ((f["body"] > 0.6) & ~(blue & upper))),
        # a uniform bright or blue region high up is sky; bright with structure is clouds
        ("sky-other", blue & smooth & (L > 45) & (upper | (top > 0))),
        ("sky-other", pale & very_smooth & ~lower),
        ("clouds", pale & (tex < 4) & (upper | (top > 0))),
        # distant hills are hazy blue, mid-height and fairly smooth
        ("mountain", (b < -2) & (cy > 0.35) & (cy < 0.7) & (tex < 3) & (L > 30) & (L < 95)),
        ("sea", (blue | ((b < -3) & (C < 12))) & lower & ((tex >= 2.5) | (cy > 0.75))),
        ("sea", blue & ~upper & (tex >= 1)),
        ("sky-other", blue & very_smooth & (cy < 0.75)),
        ("snow", (L > 85) & (C < 8) & smooth & lower),
        ("tree", (greenish | yellow_green) & ((tex >= 2.5) | upper | (L < 35))),
        ("grass", (greenish | yellow_green) & (a < -8)),
        ("bush", greenish | yellow_green),
        ("flower", (C > 40) & (L > 35) & ((hue > 300) | (hue < 35)) & ~upper),
        ("sand", (b > 10) & (a > -3) & (a < 12) & (L > 60) & (tex < 3) & lower),
        ("mountain", (C < 20) & (L > 20) & (L < 80) & smooth & (cy > 0.2) & (cy < 0.6)),
        ("rock", (C < 25) & ((tex >= 1.5) | ((L < 20) & ~upper))),
        ("dirt", (a > 2) & (b > 8) & (L < 65) & lower),
        ("wood", (hue > 30) & (hue < 80) & (C > 15) & (L < 70)),
        ("sky-other", (b < -3) & smooth & upper),
        ("building-other", upper),
        ("wall-other", np.ones_like(L, dtype=bool)),
    ]
    conditions = [c for _, c in rules]
    choices = [ids[name] for name, _ in rules]
    return np.select(conditions, choices, default=ids["wall-other"]).astype(np.uint8)


@register_segmenter("superpixel")
class SuperpixelSegmenter:
    """Weight-free heuristic segmenter (the default)."""

    description = (
        "weight-free heuristic, not a trained model: SLIC superpixels labelled by hand-written "
        "colour/texture/position rules into 16 COCO-Stuff classes (sky, clouds, tree, grass, "
        "bush, mountain, rock, sea, sand, snow, dirt, wood, building, wall, flower; person "
        "around detected faces). Plausible on outdoor landscapes, wrong on indoor scenes and objects"
    )

    def __init__(self, detect_people: bool = True, pixels_per_segment: int = PIXELS_PER_SEGMENT):
        if not isinstance(pixels_per_segment, int) or pixels_per_segment < 16:
            raise InputError(f"superpixel: pixels_per_segment must be an integer >= 16, got {pixels_per_segment!r}")
        self.detect_people = bool(detect_people)
        self.pixels_per_segment = pixels_per_segment

    def segment(self, rgb: np.ndarray) -> np.ndarray:
        """``uint8 (H, W)`` label map with values among :data:`CLASS_NAMES`' ids (never 182).

        Deterministic for a given input. The analysis runs at a reduced size (longer side
        <= 512) and the superpixel labels are expanded back by nearest neighbour.
        """
        check_rgb(rgb, "superpixel segment")
        from skimage.segmentation import slic

        h, w, _ = rgb.shape
        small, factor = _reduce(rgb)
        sh, sw, _ = small.shape
        n_segments = max(1, (sh * sw) // self.pixels_per_segment)
        segments = slic(small, n_segments=n_segments, compactness=SLIC_COMPACTNESS, start_label=0,
                        channel_axis=-1, enforce_connectivity=True)
        boxes = []
        if self.detect_people:
            from .roi import detect_faces

            boxes = [(x // factor, y // factor, max(1, bw // factor), max(1, bh // factor))
                     for x, y, bw, bh in detect_faces(rgb)]
        features = superpixel_features(small, segments, boxes)
        small_labels = classify_superpixels(features)[segments]
        if factor == 1:
            return np.ascontiguousarray(small_labels)
        # nearest expansion: pixel (y, x) takes the reduced pixel (y // f, x // f)
        return np.ascontiguousarray(small_labels[np.arange(h)[:, None] // factor, np.arange(w)[None, :] // factor])
