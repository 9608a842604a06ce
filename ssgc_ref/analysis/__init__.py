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

Label maps hold generator ids: 0..181 = COCO-Stuff-164k classes (COCO-Stuff id - 1, table in
``ssgc_format/data/cocostuff-182.tsv``), 182 = unlabeled. The paper's 512x512 setting::

    rgb = load_image("photo.png")
    labels = get_segmenter(DEFAULT_SEGMENTER).segment(rgb)
    label_grid = downsample_labels(labels, 4)    # 32x32
    colors = color_grid(rgb, 5)                   # 16x16, quantized later by ssgc_format
    roi = faces_mask(rgb)                         # or rect_mask("x,y,w,h", H, W) / load_mask(...)
    x, y, w, h = roi_rectangle(roi)               # the crop the VVC substream codes
"""

from .color_map import color_grid
from .image_io import check_rgb, load_image, save_png_atomic
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
from .roi import NO_FACE_POLICIES, detect_faces, faces_mask, faces_roi, load_mask, rect_mask, roi_rectangle
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
    "NO_FACE_POLICIES",
    "NUM_CLASSES",
    "SEGMENTERS",
    "Segmenter",
    "available_segmenters",
    "get_segmenter",
    "read_label_image",
    "register_segmenter",
    "UNLABELED",
    "check_rgb",
    "color_grid",
    "colorize_labels",
    "detect_faces",
    "downsample_labels",
    "faces_mask",
    "faces_roi",
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
