"""A whole SSGC file: segment order, presence rules, payload dispatch. Implements spec §2.4, §2.7.

::

    lead  header  [extensions END]  LABL  CMAP  [MASK  ROIC]  CRC-32
                  iff has_extensions              iff has_roi

:func:`write_ssgc` and :func:`read_ssgc` are exact inverses: for any valid :class:`SSGCImage`,
``read_ssgc(write_ssgc(img)) == img`` field for field, and the bytes are a deterministic function
of the content (every choice of the syntax is canonical, §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ssgc_format import colormap, labelmap, mask as maskmod
from ssgc_format.container import (
    CRC_LENGTH, LEAD_LENGTH, TAG_META, Extension, build_extensions, build_lead, build_meta,
    check_lead_and_crc, parse_meta, payload_segment, read_extensions, read_payload_segment, seal,
)
from ssgc_format.errors import FormatError
from ssgc_format.genparams import GenerationParams
from ssgc_format.header import VERSION_MAJOR, Header, build_header, parse_header
from ssgc_format.roi import ROIC_HEAD_LENGTH, ROIPayload, build_roi_payload, parse_roi_payload


@dataclass(frozen=True, eq=False)
class MaskGrid:
    """The decoded MASK payload: the mask on a grid of 2^cell_log2-pixel cells (clause 6)."""

    cell_log2: int
    grid: np.ndarray  # bool (mh, mw)

    def __eq__(self, other: object) -> bool:
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

    def __eq__(self, other: object) -> bool:
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


@dataclass(frozen=True)
class Part:
    """One piece of a file for ``info``: ``kind`` is "overhead", "payload" or "extension"."""

    name: str
    offset: int
    size: int
    kind: str


@dataclass(frozen=True)
class ParsedFile:
    image: SSGCImage
    parts: tuple[Part, ...]
    header_fields: tuple[tuple[str, int, int, int], ...]  # (name, bit offset, bits, value)
    extensions: tuple[Extension, ...]

    @property
    def fixed_overhead(self) -> int:
        """Bytes that are neither range-coded payload, VVC substream nor extension data (§2.8)."""
        return sum(p.size for p in self.parts if p.kind == "overhead")


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
    """Serialise ``img``: deterministic bytes in the order of §2.4, meta segments in the given order."""
    _check_content(img)
    h = img.header
    out = [build_lead(*h.version), build_header(h, img.genparams, has_extensions=bool(img.meta))]
    if img.meta:
        out.append(build_extensions([(TAG_META, build_meta(k, v)) for k, v in img.meta]))
    payloads = [labelmap.encode_label_map(img.labels),
                colormap.encode_color_map(img.colors, h.color_space, h.color_steps)]
    if img.mask is not None and img.roi is not None:  # both or neither (_check_content)
        payloads.append(maskmod.encode_mask(img.mask.grid, img.mask.cell_log2))
        payloads.append(build_roi_payload(img.roi))
    out += [payload_segment.build(dict(data=p)) for p in payloads]
    return seal(b"".join(out))


def parse_file(data: bytes) -> ParsedFile:
    """Parse and validate a whole file in the order of §2.7: size, signature, version, CRC,
    header, extension segments, payload framing, then each payload.

    Raises only :class:`~ssgc_format.errors.SSGCError` subclasses for bad input.
    """
    data = bytes(data)
    major, minor = check_lead_and_crc(data, VERSION_MAJOR)
    crc_at = len(data) - CRC_LENGTH
    ph = parse_header(data[:crc_at], LEAD_LENGTH, (major, minor))  # the header ends before the CRC
    h = ph.header
    parts = [Part("signature + version", 0, LEAD_LENGTH, "overhead"),
             Part("header", LEAD_LENGTH, ph.end - LEAD_LENGTH, "overhead")]
    pos = ph.end
    extensions: list[Extension] = []
    if ph.has_extensions:
        extensions, after = read_extensions(data, pos, crc_at)
        parts += [Part(e.name, e.offset, e.size, "extension") for e in extensions]
        parts.append(Part("END", after - 2, 2, "extension"))
        pos = after
    names = ["LABL", "CMAP"] + (["MASK", "ROIC"] if h.has_roi else [])
    payloads: dict[str, bytes] = {}
    for name in names:
        if pos >= crc_at:
            raise FormatError(f"file ends before the {name} segment (truncated)", chunk=name, offset=pos)
        payloads[name], at, nxt = read_payload_segment(data, pos, crc_at, name)
        parts.append(Part(f"{name} length", pos, at - pos, "overhead"))
        if name == "ROIC":  # the ROIC head is container-like overhead, the substream is payload
            head = min(ROIC_HEAD_LENGTH, nxt - at)
            parts.append(Part("ROIC head", at, head, "overhead"))
            parts.append(Part("ROIC substream", at + head, nxt - at - head, "payload"))
        else:
            parts.append(Part(name, at, nxt - at, "payload"))
        pos = nxt
    if pos != crc_at:
        raise FormatError(f"{crc_at - pos} bytes between the last payload and the CRC", offset=pos)
    parts.append(Part("CRC-32", crc_at, CRC_LENGTH, "overhead"))

    meta = tuple(parse_meta(e.data, e.offset) for e in extensions if e.tag == TAG_META)
    gh, gw = labelmap.label_grid_size(h.width, h.height, h.label_cell_log2)
    labels = labelmap.decode_label_map(payloads["LABL"], gh, gw)
    ch, cw = colormap.color_grid_size(h.width, h.height, h.color_cell_log2)
    colors = colormap.decode_color_map(payloads["CMAP"], ch, cw, h.color_space, h.color_steps)
    mask = roi = None
    if h.has_roi:
        cell_log2, grid = maskmod.decode_mask(payloads["MASK"], h.width, h.height)
        mask = MaskGrid(cell_log2, grid)
        roi = parse_roi_payload(payloads["ROIC"], h.width, h.height)
    img = SSGCImage(header=h, genparams=ph.genparams, labels=labels, colors=colors, mask=mask, roi=roi,
                    meta=meta)
    return ParsedFile(img, tuple(parts), ph.fields, tuple(extensions))


def read_ssgc(data: bytes) -> SSGCImage:
    """Parse and validate a whole file (§2.7); see :func:`parse_file`."""
    return parse_file(data).image


def read_header(data: bytes) -> Header:
    """The header alone (after the size, signature, version and CRC checks), without decoding any
    payload: what a viewer needs to know the picture size."""
    data = bytes(data)
    major, minor = check_lead_and_crc(data, VERSION_MAJOR)
    return parse_header(data[:-CRC_LENGTH], LEAD_LENGTH, (major, minor)).header
