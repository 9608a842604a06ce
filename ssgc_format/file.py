"""A whole SSGC file: chunk order, presence rules, payload dispatch. Implements spec §2.4 and §2.6.

Critical chunks of version 1, in this order (ancillary chunks may appear anywhere between SHDR
and SEND; an unknown ancillary chunk is skipped, an unknown critical chunk is an error)::

    SHDR  GENP  LABL  CMAP  [MASK  ROIC]  SEND        MASK and ROIC iff SHDR.flags.HAS_ROI

:func:`write_ssgc` and :func:`read_ssgc` are exact inverses: for any valid :class:`SSGCImage`,
``read_ssgc(write_ssgc(img)) == img`` field for field, and the bytes are a deterministic function
of the content.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ssgc_format import colormap, labelmap, mask as maskmod
from ssgc_format.container import (
    CMAP, GENP, LABL, MASK, META, ROIC, SEND, SHDR, RawChunk, build_file, is_critical, read_chunks,
)
from ssgc_format.errors import FormatError
from ssgc_format.genparams import GenerationParams, build_genparams, parse_genparams
from ssgc_format.header import Header, build_header, build_meta, parse_header, parse_meta
from ssgc_format.roi import ROIPayload, build_roi_payload, parse_roi_payload


@dataclass(frozen=True, eq=False)
class MaskGrid:
    """The decoded MASK payload: the mask on a grid of 2^cell_log2-pixel cells (clause 6)."""

    cell_log2: int
    grid: np.ndarray  # bool (mh, mw)

    def __eq__(self, other) -> bool:
        return (isinstance(other, MaskGrid) and self.cell_log2 == other.cell_log2
                and np.array_equal(self.grid, other.grid))


@dataclass(frozen=True, eq=False)
class SSGCImage:
    """Everything an SSGC file carries, decoded to integers (nothing reconstructed yet)."""

    header: Header
    genparams: GenerationParams
    labels: np.ndarray  # uint8 (label grid h, w), 0..182 (clause 4)
    colors: np.ndarray  # quantized color map indices (color grid h, w, 3) (clause 5)
    mask: MaskGrid | None = None
    roi: ROIPayload | None = None
    meta: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def __eq__(self, other) -> bool:
        return (isinstance(other, SSGCImage) and self.header == other.header
                and self.genparams == other.genparams and np.array_equal(self.labels, other.labels)
                and np.array_equal(self.colors, other.colors) and self.mask == other.mask
                and self.roi == other.roi and self.meta == other.meta)

    @property
    def label_grid(self) -> tuple[int, int]:
        h = self.header
        return labelmap.label_grid_size(h.width, h.height, h.label_cell_log2)

    @property
    def color_grid(self) -> tuple[int, int]:
        h = self.header
        return colormap.color_grid_size(h.width, h.height, h.color_cell_log2)


def _check_content(img: SSGCImage) -> None:
    h = img.header
    h.validate()
    if img.labels.shape != img.label_grid:
        raise ValueError(f"label map shape {img.labels.shape} != grid {img.label_grid}")
    if img.colors.shape != (*img.color_grid, 3):
        raise ValueError(f"color map shape {img.colors.shape} != grid {(*img.color_grid, 3)}")
    if h.has_roi != (img.mask is not None) or h.has_roi != (img.roi is not None):
        raise ValueError("header.has_roi must be set exactly when both mask and roi are given")


def write_ssgc(img: SSGCImage) -> bytes:
    """Serialise ``img``: deterministic bytes, chunks in the order of §2.4, meta chunks after SHDR."""
    _check_content(img)
    h = img.header
    chunks = [(SHDR, build_header(h))]
    chunks += [(META, build_meta(k, v)) for k, v in img.meta]
    chunks.append((GENP, build_genparams(img.genparams)))
    chunks.append((LABL, labelmap.encode_label_map(img.labels)))
    chunks.append((CMAP, colormap.encode_color_map(img.colors, h.color_space, h.color_steps)))
    if h.has_roi:
        chunks.append((MASK, maskmod.encode_mask(img.mask.grid, img.mask.cell_log2)))
        chunks.append((ROIC, build_roi_payload(img.roi)))
    chunks.append((SEND, b""))
    return build_file(chunks)


def check_chunk_order(chunks: list[RawChunk]) -> Header:
    """Apply the order and presence rules of §2.4 to raw chunks; return the parsed header."""
    if not chunks or chunks[0].type != SHDR:
        first = chunks[0].name if chunks else "nothing"
        raise FormatError(f"the first chunk must be SHDR, found {first}",
                          offset=chunks[0].offset if chunks else None)
    header = parse_header(chunks[0].data)
    expected = [GENP, LABL, CMAP] + ([MASK, ROIC] if header.has_roi else []) + [SEND]
    known = {SHDR, GENP, LABL, CMAP, MASK, ROIC, SEND}
    i = 0
    for c in chunks[1:]:
        if not is_critical(c.type):
            continue
        if c.type not in known:
            raise FormatError("unknown critical chunk (this file needs a newer decoder or is damaged)",
                              chunk=c.name, offset=c.offset)
        if i < len(expected) and c.type == expected[i]:
            i += 1
            continue
        if c.type in expected[:i] or c.type == SHDR:
            raise FormatError("duplicate chunk", chunk=c.name, offset=c.offset)
        if c.type in (MASK, ROIC) and not header.has_roi:
            raise FormatError("chunk present but SHDR.flags.HAS_ROI is 0", chunk=c.name, offset=c.offset)
        raise FormatError(f"chunk out of order: expected {expected[i].decode()} here",
                          chunk=c.name, offset=c.offset)
    if i < len(expected):  # cannot happen for SEND (read_chunks ends on it) but guards the rest
        raise FormatError(f"missing chunk {expected[i].decode()}")
    return header


def read_ssgc(data: bytes) -> SSGCImage:
    """Parse and validate a whole file (§2.3): framing and CRCs first, then order, then payloads.

    Raises only :class:`~ssgc_format.errors.SSGCError` subclasses for bad input.
    """
    chunks = read_chunks(data)
    h = check_chunk_order(chunks)
    by_type = {c.type: c for c in chunks if is_critical(c.type)}
    meta = tuple(parse_meta(c.data) for c in chunks if c.type == META)
    genparams = parse_genparams(by_type[GENP].data)
    gh, gw = labelmap.label_grid_size(h.width, h.height, h.label_cell_log2)
    labels = labelmap.decode_label_map(by_type[LABL].data, gh, gw)
    ch, cw = colormap.color_grid_size(h.width, h.height, h.color_cell_log2)
    colors = colormap.decode_color_map(by_type[CMAP].data, ch, cw, h.color_space, h.color_steps)
    mask = roi = None
    if h.has_roi:
        cell_log2, grid = maskmod.decode_mask(by_type[MASK].data, h.width, h.height)
        mask = MaskGrid(cell_log2, grid)
        roi = parse_roi_payload(by_type[ROIC].data, h.width, h.height)
    return SSGCImage(header=h, genparams=genparams, labels=labels, colors=colors, mask=mask, roi=roi,
                     meta=meta)
