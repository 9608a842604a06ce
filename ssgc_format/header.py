"""The bit-packed header. Implements spec §2.3 (and §8.2 through ``ssgc_format.genparams``).

After the 4-byte lead (signature and version, §2.2), MSB first, padded with zero bits to a byte::

    width_size         u(2)    width_minus1 has 8 + 2*width_size bits (8, 10, 12, 14)
    width_minus1       u(..)   W - 1; the smallest width_size that holds it (canonical)
    height_size        u(2)
    height_minus1      u(..)   H - 1, likewise;  W*H <= 2^26
    has_roi            u(1)    MASK and ROIC payloads follow CMAP
    has_extensions     u(1)    extension segments follow the header (§2.5)
    semantic_default   u(1)    1: label_set 1, label cell 2^4, color cell 2^5, color space 2,
                               color steps (15, 20, 20); nothing follows
    if (!semantic_default)
        label_set               u(4)   1 = COCO-Stuff 182; other values: UnsupportedError
        label_cell_log2_minus2  u(3)   0..4 (label cells of 4..64 px)
        color_cell_log2_minus2  u(3)   0..6 (color cells of 4..256 px)
        color_space             u(4)   clause 5.2
        color_steps[3]          u(8)   clause 5.2
    generation_params()                §8.2 (ssgc_format.genparams), ends with the seed
    padding                    zero bits to the next byte boundary
"""

from __future__ import annotations

from dataclasses import dataclass

from ssgc_format.bitio import BitReader, BitWriter
from ssgc_format.errors import FormatError, LimitError, UnsupportedError
from ssgc_format.genparams import FieldLog, GenerationParams, read_genparams, write_genparams

VERSION_MAJOR, VERSION_MINOR = 2, 0
MAX_DIMENSION = 16384  # §1.5
MAX_PIXELS = 1 << 26  # §1.5
LABEL_CELL_LOG2_RANGE = (2, 6)
COLOR_CELL_LOG2_RANGE = (2, 8)
SIZE_BITS = (8, 10, 12, 14)  # bits of width_minus1 / height_minus1 by width_size / height_size
LABEL_SET_BITS, CELL_BITS, COLOR_SPACE_BITS, STEP_BITS = 4, 3, 4, 8

# semantic_default = 1 stands for these values (the reference encoder's defaults)
SEMANTIC_DEFAULTS = {"label_set": 1, "label_cell_log2": 4, "color_cell_log2": 5, "color_space": 2,
                     "color_steps": (15, 20, 20)}


@dataclass(frozen=True)
class Header:
    """The picture and semantic-map fields of the header (§2.3)."""

    width: int
    height: int
    color_space: int
    color_steps: tuple[int, int, int]
    label_set: int = 1
    label_cell_log2: int = 4
    color_cell_log2: int = 5
    has_roi: bool = False
    version: tuple[int, int] = (VERSION_MAJOR, VERSION_MINOR)

    @property
    def semantic_default(self) -> bool:
        return all(getattr(self, k) == v for k, v in SEMANTIC_DEFAULTS.items())

    def validate(self) -> None:
        """Check every field against §2.3 and §1.5; raise FormatError/LimitError/UnsupportedError."""
        if self.version[0] != VERSION_MAJOR:
            raise UnsupportedError(
                f"SSGC format version {self.version[0]}.{self.version[1]}: this decoder reads "
                f"version {VERSION_MAJOR}.x only")
        for name, value in (("width", self.width), ("height", self.height)):
            if not 1 <= value <= MAX_DIMENSION:
                raise LimitError(f"{name} {value} outside 1..{MAX_DIMENSION}", chunk="header")
        if self.width * self.height > MAX_PIXELS:
            raise LimitError(f"{self.width}x{self.height} exceeds {MAX_PIXELS} pixels", chunk="header")
        if self.label_set != 1:
            raise UnsupportedError(f"label set {self.label_set} (this decoder knows label set 1, COCO-Stuff 182)")
        for name, value, (lo, hi) in (("label_cell_log2", self.label_cell_log2, LABEL_CELL_LOG2_RANGE),
                                      ("color_cell_log2", self.color_cell_log2, COLOR_CELL_LOG2_RANGE)):
            if not lo <= value <= hi:
                raise FormatError(f"{name} {value} outside {lo}..{hi}", chunk="header")
        from ssgc_format.colormap import check_color_params

        try:
            check_color_params(self.color_space, self.color_steps)
        except FormatError as e:
            raise FormatError(e.detail, chunk="header") from None


def _size_field(value: int) -> int:
    """The canonical width_size / height_size of ``value`` = W - 1 or H - 1."""
    return next(i for i, bits in enumerate(SIZE_BITS) if value < 1 << bits or i == 3)


def build_header(h: Header, g: GenerationParams, *, has_extensions: bool) -> bytes:
    """The bit-packed header of §2.3 (without the lead), padded to a byte."""
    h.validate()
    w = BitWriter()
    for v in (h.width - 1, h.height - 1):
        size = _size_field(v)
        w.u(size, 2)
        w.u(v, SIZE_BITS[size])
    w.flag(h.has_roi)
    w.flag(has_extensions)
    w.flag(h.semantic_default)
    if not h.semantic_default:
        w.u(h.label_set, LABEL_SET_BITS)
        w.u(h.label_cell_log2 - 2, CELL_BITS)
        w.u(h.color_cell_log2 - 2, CELL_BITS)
        w.u(h.color_space, COLOR_SPACE_BITS)
        for s in h.color_steps:
            w.u(s, STEP_BITS)
    write_genparams(w, g)
    return w.to_bytes()


@dataclass(frozen=True)
class ParsedHeader:
    header: Header
    genparams: GenerationParams
    has_extensions: bool
    end: int  # file offset of the first byte after the header
    fields: tuple[tuple[str, int, int, int], ...]  # (name, bit offset, bits, value) for ``info``


def parse_header(data: bytes, offset: int, version: tuple[int, int]) -> ParsedHeader:
    """Read and validate the header of §2.3 starting at byte ``offset`` of ``data``.

    Field checks follow the syntax order, so a header with two faults gets the error of the
    first. Raises FormatError (non-canonical choices, ranges, padding), LimitError (size) or
    UnsupportedError (label set, color space, sampler).
    """
    r = BitReader(data, offset, where="header")
    log: FieldLog = []

    def field(name: str, bits: int) -> int:
        at = r.bit_pos
        value = r.u(bits)
        log.append((name, at, bits, value))
        return value

    dims = []
    for name in ("width", "height"):
        at = r.byte_offset
        size = field(f"{name}_size", 2)
        v = field(f"{name}_minus1", SIZE_BITS[size])
        if _size_field(v) != size:
            raise FormatError(f"{name}_size {size} larger than needed for {name} {v + 1} (non-canonical)",
                              chunk="header", offset=at)
        dims.append(v + 1)
    width, height = dims
    if width * height > MAX_PIXELS:
        raise LimitError(f"{width}x{height} exceeds {MAX_PIXELS} pixels", chunk="header")
    has_roi = bool(field("has_roi", 1))
    has_extensions = bool(field("has_extensions", 1))
    sem = dict(SEMANTIC_DEFAULTS)
    explicit = not field("semantic_default", 1)
    if explicit:
        sem["label_set"] = field("label_set", LABEL_SET_BITS)
        sem["label_cell_log2"] = field("label_cell_log2_minus2", CELL_BITS) + 2
        sem["color_cell_log2"] = field("color_cell_log2_minus2", CELL_BITS) + 2
        sem["color_space"] = field("color_space", COLOR_SPACE_BITS)
        sem["color_steps"] = tuple(field(f"color_steps[{i}]", STEP_BITS) for i in range(3))
    h = Header(width=width, height=height, color_space=sem["color_space"],  # type: ignore[arg-type]
               color_steps=sem["color_steps"], label_set=sem["label_set"],  # type: ignore[arg-type]
               label_cell_log2=sem["label_cell_log2"], color_cell_log2=sem["color_cell_log2"],  # type: ignore[arg-type]
               has_roi=has_roi, version=version)
    h.validate()
    if explicit and h.semantic_default:
        raise FormatError("semantic_default = 0 but every semantic field has its default (non-canonical)",
                          chunk="header")
    g = read_genparams(r, log)
    end = r.finish()
    return ParsedHeader(h, g, has_extensions, end, tuple(log))
