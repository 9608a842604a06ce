"""Segmenters: one small interface, a registry, and the user-supplied label file (non-normative).

A segmenter turns an RGB picture into a full-resolution COCO-Stuff label map. The encoder picks one
by id (``get_segmenter("superpixel")``); ids are kebab-case. Registered here and in sibling
modules (imported by :func:`get_segmenter` on first use):

========== ==================================================================================
id          what
========== ==================================================================================
superpixel  weight-free default: SLIC superpixels + hand-written colour/texture/position rules
labels-file a label image the user supplies (``labels=path``)
deeplab-v2  DeepLab v2 ResNet-101 (COCO-Stuff-164k), local weights (``weights=path``)
onnx        any ONNX segmentation model + a class-index -> COCO-Stuff-id mapping file
========== ==================================================================================
"""

from __future__ import annotations

import inspect
import os
import re
from typing import Callable, Protocol, Union, runtime_checkable

import numpy as np

from ssgc_format.errors import InputError

from .image_io import check_rgb, open_checked
from .labels import UNLABELED

_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@runtime_checkable
class Segmenter(Protocol):
    """What every segmenter provides.

    ``segment(rgb)`` takes a ``uint8 (H, W, 3)`` picture and returns a ``uint8 (H, W)`` map of
    generator ids: ``0..181`` COCO-Stuff-164k classes, ``182`` unlabeled. It raises
    :class:`InputError` (bad picture or options) or :class:`ModelError` (weights), nothing else.
    """

    id: str
    description: str

    def segment(self, rgb: np.ndarray) -> np.ndarray: ...


SEGMENTERS: dict[str, Callable[..., Segmenter]] = {}


def register_segmenter(segmenter_id: str):
    """Class decorator: register a segmenter factory under a kebab-case ``segmenter_id``."""
    if not _ID_RE.match(segmenter_id):
        raise ValueError(f"segmenter id {segmenter_id!r} is not kebab-case")

    def decorate(factory):
        if segmenter_id in SEGMENTERS:
            raise ValueError(f"segmenter id {segmenter_id!r} registered twice")
        factory.id = segmenter_id
        SEGMENTERS[segmenter_id] = factory
        return factory

    return decorate


def _import_builtin_segmenters() -> None:
    # Registration happens at import; these modules import torch/skimage lazily themselves.
    from . import deeplab, onnx_segmenter, superpixel  # noqa: F401


def available_segmenters() -> list[str]:
    """Sorted ids of every registered segmenter."""
    _import_builtin_segmenters()
    return sorted(SEGMENTERS)


def get_segmenter(segmenter_id: str, **options) -> Segmenter:
    """Build the segmenter ``segmenter_id`` with its ``options`` (keyword arguments).

    Raises :class:`InputError` listing the valid ids for an unknown id, or naming the option for
    a wrong option.
    """
    _import_builtin_segmenters()
    factory = SEGMENTERS.get(segmenter_id)
    if factory is None:
        raise InputError(
            f"unknown segmenter {segmenter_id!r}; valid ids: {', '.join(sorted(SEGMENTERS))}"
        )
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as exc:
        raise InputError(f"segmenter {segmenter_id!r}: bad options {sorted(options)}: {exc}") from exc
    return factory(**options)


def read_label_image(path: Union[str, os.PathLike]) -> np.ndarray:
    """Read a label image: 8-bit grayscale (L) or palette (P, the *indices* are the labels) PNG
    or any lossless format Pillow reads, EXIF orientation applied. Values ``0..181`` are
    COCO-Stuff-164k generator ids; ``182`` and ``255`` both mean unlabeled and come back as 182.

    Returns ``uint8 (H, W)`` with values ``0..182``; InputError for another mode or a value in
    ``183..254`` (position given).
    """
    im = open_checked(path, "label image")
    if im.mode not in ("L", "P"):
        raise InputError(
            f"label image {str(path)!r}: mode {im.mode}; need 8-bit grayscale (L) or palette (P) "
            f"holding COCO-Stuff ids 0..181 (182 or 255 = unlabeled)"
        )
    labels = np.array(im, dtype=np.uint8)
    labels[labels == 255] = UNLABELED
    bad = (labels > UNLABELED)
    if bad.any():
        y, x = np.argwhere(bad)[0]
        raise InputError(
            f"label image {str(path)!r}: value {int(labels[y, x])} at (x={x}, y={y}) is not a "
            f"COCO-Stuff id 0..181 nor 182/255 (unlabeled)"
        )
    return labels


@register_segmenter("labels-file")
class LabelsFileSegmenter:
    """Labels the user computed elsewhere (``--labels labels.png``), checked against the picture."""

    description = (
        "user-supplied label image: 8-bit grayscale or palette PNG of COCO-Stuff-164k ids 0..181 "
        "(182 or 255 = unlabeled), same size as the picture"
    )

    def __init__(self, labels: Union[str, os.PathLike, None] = None):
        if labels is None:
            raise InputError("segmenter 'labels-file' needs a label image (labels=PATH / --labels PATH)")
        self.path = labels
        self._labels = read_label_image(labels)

    def segment(self, rgb: np.ndarray) -> np.ndarray:
        """The label image, after checking it is the picture's size."""
        check_rgb(rgb, "labels-file segment")
        h, w = rgb.shape[:2]
        lh, lw = self._labels.shape
        if (lh, lw) != (h, w):
            raise InputError(f"label image {str(self.path)!r} is {lw}x{lh}, the picture is {w}x{h}")
        return self._labels.copy()
