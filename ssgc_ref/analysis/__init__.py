"""Encoder-side analysis (non-normative): reading images, segmentation, color map, ROI.

Nothing here is normative: a conforming encoder may choose labels, colors and masks any way it
likes. The functions state their guarantees so the reference encoder can rely on them.

    load_image(path)                 -> uint8 (H, W, 3)
    save_png_atomic(path, array)
    get_segmenter(id, **options)     -> Segmenter;   segmenter.segment(rgb) -> uint8 (H, W), 0..182
                                        ids: superpixel (default, weight-free), labels-file,
                                        deeplab-v2 (weights=PATH), onnx (model=, labels=)
    downsample_labels(labels, k)     -> uint8 (ceil(H/2^k), ceil(W/2^k))
    color_grid(rgb, k)               -> uint8 (ceil(H/2^k), ceil(W/2^k), 3)
    detect_faces(rgb) / faces_mask(rgb, margin) / rect_mask(spec, H, W) / load_mask(path, H, W)
    roi_rectangle(mask)              -> (x, y, w, h), even-aligned
"""

from .color_map import color_grid
from .image_io import load_image, save_png_atomic
from .labels import (
    NUM_CLASSES,
    UNLABELED,
    colorize_labels,
    downsample_labels,
    label_ids,
    label_name,
    label_palette,
    label_table,
)
from .roi import detect_faces, faces_mask, load_mask, rect_mask, roi_rectangle
from .segmenters import (
    SEGMENTERS,
    Segmenter,
    available_segmenters,
    get_segmenter,
    read_label_image,
    register_segmenter,
)

DEFAULT_SEGMENTER = "superpixel"

__all__ = [
    "DEFAULT_SEGMENTER",
    "NUM_CLASSES",
    "SEGMENTERS",
    "Segmenter",
    "available_segmenters",
    "get_segmenter",
    "read_label_image",
    "register_segmenter",
    "UNLABELED",
    "color_grid",
    "colorize_labels",
    "detect_faces",
    "downsample_labels",
    "faces_mask",
    "label_ids",
    "label_name",
    "label_palette",
    "label_table",
    "load_image",
    "load_mask",
    "rect_mask",
    "roi_rectangle",
    "save_png_atomic",
]
