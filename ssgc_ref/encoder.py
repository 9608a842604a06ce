"""The reference encoder (informative): an RGB image in, an SSGC file out.

    image ──► segmenter ──► majority x2^k ──────────────► LABL   (clause 4)
      │──────► blur + downsample ──► quantize ─────────► CMAP   (clause 5)
      │──────► mask ──► mask grid ──► contours ────────► MASK   (clause 6)
      └──────► ROI rectangle crop ──► VVC intra ───────► ROIC   (clause 7)
                      seed, steps, strength, guidance ──► header (§8.2)

Nothing here is normative: another encoder may choose labels, colors, masks and VVC decisions
any way it likes. What the decoder will reconstruct is computed with the normative code of
``ssgc_format`` so that the encoder knows exactly what the decoder sees.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from dataclasses import asdict, dataclass, field

import numpy as np

from ssgc_format import colormap, mask as maskmod
from ssgc_format.errors import InputError
from ssgc_format.file import MaskGrid, SSGCImage, write_ssgc
from ssgc_format.genparams import GenerationParams
from ssgc_format.header import Header
from ssgc_format.roi import ROIPayload

if TYPE_CHECKING:
    from PIL import Image

CODEC_VVC = 1


@dataclass(frozen=True)
class EncoderConfig:
    """Every option of the reference encoder; saved in the file's ``meta settings`` segment with
    ``provenance="full"``.

    ROI rate: exactly one of ``qp`` (0..63), ``roi_bytes`` (a byte budget for the ROI substream)
    or ``match_rate`` (give the ROI as many bytes as the semantic part, as in the paper) is used;
    with none set, ``qp = DEFAULT_QP``.
    """

    segmenter: str = "superpixel"
    label_cell_log2: int = 4
    color_cell_log2: int = 5
    color_space: int = colormap.DEFAULT_COLOR_SPACE
    color_steps: tuple[int, int, int] = colormap.DEFAULT_STEPS
    mask_cell_log2: int = 0
    qp: int | None = None
    roi_bytes: int | None = None
    match_rate: bool = False
    roi_bit_depth: int = 8
    preset: str = "medium"  # the VVC encoder's speed/quality trade-off: fast, medium or slow
    profile_id: int = 1
    seed: int | None = None  # None: derived from the pixels (derive_seed), recorded in the file
    steps: int = 200
    strength_permille: int = 700
    guidance_q8: int = 512
    eta_q8: int = 0
    sampler: int = 0  # generation parameter sampler (spec §8.2, §8.10): 0 DDIM, 1 DPM-Solver++(2M)
    gen_flags: int = 0
    # meta segments: "none" (default: every byte counts at these rates, as cwebp -metadata none),
    # "short" (encoder, segmenter id) or "full" (+ settings)
    provenance: str = "none"

    def check(self) -> None:
        given = [self.qp is not None, self.roi_bytes is not None, self.match_rate]
        if sum(given) > 1:
            raise InputError("choose at most one of --qp, --roi-bytes and --match-rate")
        if self.qp is not None and not 0 <= self.qp <= 63:
            raise InputError(f"--qp {self.qp} outside 0..63")
        if self.roi_bytes is not None and self.roi_bytes < 1:
            raise InputError("--roi-bytes must be positive")
        if not 0 <= self.mask_cell_log2 <= 3:
            raise InputError(f"mask cell log2 {self.mask_cell_log2} outside 0..3 (1, 2, 4 or 8 px)")
        if self.provenance not in ("none", "short", "full"):
            raise InputError(f"provenance {self.provenance!r} is not none, short or full")
        if self.roi_bit_depth not in (8, 10):
            raise InputError(f"ROI bit depth {self.roi_bit_depth} is not 8 or 10")


DEFAULT_QP = 37


@dataclass
class EncodeResult:
    """The file and what the encoder knows the decoder will see, with sizes and timings."""

    data: bytes
    image: SSGCImage
    labels_full: np.ndarray  # the segmenter's full-resolution labels (before downsampling)
    roi_rgb: np.ndarray | None  # what the decoder's ROI decode will give (uint8 (h, w, 3))
    segmenter: str  # which segmenter made the labels, and what it is
    seconds: dict[str, float] = field(default_factory=dict)


def derive_seed(rgb: np.ndarray) -> int:
    """The default seed: 16 bits of SHA-256 over the pixels and the size, so the same input gives
    the same file on every run (and a seed that codes compactly)."""
    h, w = rgb.shape[:2]
    digest = hashlib.sha256(np.ascontiguousarray(rgb).tobytes() + f"{h}x{w}".encode()).digest()
    return int.from_bytes(digest[:2], "big")


def _crop_roi(rgb: np.ndarray, mask: np.ndarray, cfg: EncoderConfig):
    from ssgc_ref.analysis import roi_rectangle

    grid = maskmod.coarsen_mask(mask, cfg.mask_cell_log2)
    h, w = mask.shape
    full = maskmod.rasterize_mask(grid, cfg.mask_cell_log2, w, h)
    x, y, rw, rh = roi_rectangle(full)
    return MaskGrid(cfg.mask_cell_log2, grid), (x, y, rw, rh), rgb[y: y + rh, x: x + rw]


def encode_image(rgb: np.ndarray | Image.Image, *, mask: np.ndarray | None = None, labels: np.ndarray | None = None,
                 config: EncoderConfig = EncoderConfig(), meta: dict[str, str] | None = None,
                 segmenter_options: dict | None = None,
                 on_stage: Callable[[str], None] | None = None) -> EncodeResult:
    """Encode ``rgb`` (uint8 (H, W, 3)).

    ``mask``: bool (H, W), True = region of interest coded with VVC; None or all False = the whole
    image is generated. ``labels``: full-resolution COCO-Stuff labels (uint8 (H, W), 0..182) to use
    instead of running the segmenter. ``on_stage(name)`` is called as each stage starts
    (segmentation, color map, ROI), for progress displays.
    """
    from ssgc_ref import __version__
    from ssgc_ref.analysis import color_grid, downsample_labels
    from ssgc_ref.analysis.segmenters import get_segmenter
    cfg = config
    cfg.check()
    stage = on_stage or (lambda name: None)
    if not isinstance(rgb, np.ndarray):
        from PIL import Image

        if not isinstance(rgb, Image.Image):
            raise InputError(f"expected a uint8 RGB numpy array (H, W, 3) or a PIL image, got {type(rgb).__name__} "
                             "(ssgc_ref.encode also takes paths)")
        from ssgc_ref.api import to_rgb

        rgb = to_rgb(rgb)[0]
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InputError(f"expected a uint8 RGB image (H, W, 3), got {rgb.dtype} {rgb.shape}")
    height, width = rgb.shape[:2]
    seconds: dict[str, float] = {}

    t = time.perf_counter()
    segmenter_note = "labels supplied by the user"
    stage("segmentation")
    if labels is None:
        seg = get_segmenter(cfg.segmenter, **(segmenter_options or {}))
        labels = seg.segment(rgb)
        segmenter_note = f"{seg.id}: {seg.description}"
    elif labels.shape != (height, width):
        raise InputError(f"label image is {labels.shape[1]}x{labels.shape[0]}, image is {width}x{height}")
    label_grid = downsample_labels(labels, cfg.label_cell_log2)
    seconds["segmentation"] = time.perf_counter() - t

    stage("color map")
    t = time.perf_counter()
    colors = colormap.quantize_color_map(color_grid(rgb, cfg.color_cell_log2), cfg.color_space, cfg.color_steps)
    seconds["color map"] = time.perf_counter() - t

    has_roi = mask is not None and bool(mask.any())
    if mask is not None and mask.shape != (height, width):
        raise InputError(f"mask is {mask.shape[1]}x{mask.shape[0]}, image is {width}x{height}")
    seed = cfg.seed if cfg.seed is not None else derive_seed(rgb)
    header = Header(width=width, height=height, color_space=cfg.color_space, color_steps=tuple(cfg.color_steps),
                    label_cell_log2=cfg.label_cell_log2, color_cell_log2=cfg.color_cell_log2, has_roi=has_roi)
    genparams = GenerationParams(profile_id=cfg.profile_id, seed=seed, steps=cfg.steps,
                                 strength_permille=cfg.strength_permille, guidance_q8=cfg.guidance_q8,
                                 eta_q8=cfg.eta_q8, flags=cfg.gen_flags, sampler=cfg.sampler)
    problems = genparams.problems()
    if problems:
        raise InputError("; ".join(problems))
    meta_items = {}
    if cfg.provenance != "none":
        meta_items = {"encoder": f"ssgc-ref {__version__}", "segmenter": segmenter_note.split(":")[0]}
    if cfg.provenance == "full":
        settings = {k: v for k, v in asdict(cfg).items() if k != "seed"}
        meta_items["segmenter"] = segmenter_note
        meta_items["settings"] = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    meta_items.update(meta or {})
    base = SSGCImage(header=dataclasses.replace(header, has_roi=False), genparams=genparams,
                     labels=label_grid, colors=colors, meta=tuple(meta_items.items()))
    roi_rgb = None
    if not has_roi:
        data = write_ssgc(base)
        return EncodeResult(data, base, labels, None, segmenter_note, seconds)

    from ssgc_ref.roi_codec import encode_roi  # imports PyAV: only when there is an ROI

    stage("ROI (VVC rate search)" if cfg.match_rate or cfg.roi_bytes is not None else "ROI (VVC)")
    t = time.perf_counter()
    mask_grid, (x, y, rw, rh), crop = _crop_roi(rgb, mask, cfg)
    if cfg.match_rate:  # the paper: the ROI gets a rate similar to the semantic part's
        substream, roi_rgb = encode_roi(crop, max_bytes=len(write_ssgc(base)), bit_depth=cfg.roi_bit_depth,
                                     preset=cfg.preset)
    elif cfg.roi_bytes is not None:
        substream, roi_rgb = encode_roi(crop, max_bytes=cfg.roi_bytes, bit_depth=cfg.roi_bit_depth,
                                     preset=cfg.preset)
    else:
        qp = DEFAULT_QP if cfg.qp is None else cfg.qp
        substream, roi_rgb = encode_roi(crop, qp=qp, bit_depth=cfg.roi_bit_depth, preset=cfg.preset)
    seconds["ROI (VVC)"] = time.perf_counter() - t
    roi = ROIPayload(codec_id=CODEC_VVC, x=x, y=y, width=rw, height=rh, bit_depth=cfg.roi_bit_depth,
                     substream=substream)
    img = SSGCImage(header=header, genparams=genparams, labels=label_grid, colors=colors, mask=mask_grid,
                    roi=roi, meta=base.meta)
    return EncodeResult(write_ssgc(img), img, labels, roi_rgb, segmenter_note, seconds)
