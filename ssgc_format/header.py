"""The SHDR header chunk and the ``meta`` ancillary chunk. Implements spec §2.5 and §2.7.

SHDR (14 bytes in version 1.0)::

    offset  size  field             range / meaning
    0       u8    version_major     1; another value: UnsupportedError
    1       u8    version_minor     any; 0 for files written by this version
    2       u16   width             1..16384   image width in pixels
    4       u16   height            1..16384   image height in pixels; width*height <= 2^26
    6       u8    label_set         1 = COCO-Stuff 182 (Annex A)
    7       u8    label_cell_log2   2..6       label map cell = 2^k pixels (default 4: x16)
    8       u8    color_cell_log2   2..8       color map cell = 2^k pixels (default 5: 16x16 at 512)
    9       u8    color_space       clause 5
    10      3×u8  color_steps       clause 5 (quantizer step of each channel)
    13      u8    flags             bit 0 HAS_ROI; bits 1..7 reserved, shall be 0

meta: ``key`` (1..79 printable ASCII bytes, 0x20..0x7E), one 0x00 byte, ``value`` (UTF-8, rest).
"""

from __future__ import annotations

from dataclasses import dataclass

import construct as cs

from ssgc_format.errors import FormatError, LimitError, UnsupportedError

VERSION_MAJOR, VERSION_MINOR = 1, 0
MAX_DIMENSION = 16384  # §1.5
MAX_PIXELS = 1 << 26  # §1.5
LABEL_CELL_LOG2_RANGE = (2, 6)
COLOR_CELL_LOG2_RANGE = (2, 8)
FLAG_HAS_ROI = 0x01
_RESERVED_FLAGS = 0xFE
SHDR_LENGTH = 14
MAX_META_KEY = 79

# §2.5 SHDR
shdr_format = cs.Struct(
    "version_major" / cs.Int8ub,
    "version_minor" / cs.Int8ub,
    "width" / cs.Int16ub,
    "height" / cs.Int16ub,
    "label_set" / cs.Int8ub,
    "label_cell_log2" / cs.Int8ub,
    "color_cell_log2" / cs.Int8ub,
    "color_space" / cs.Int8ub,
    "color_steps" / cs.Array(3, cs.Int8ub),
    "flags" / cs.Int8ub,
)
assert shdr_format.sizeof() == SHDR_LENGTH


@dataclass(frozen=True)
class Header:
    """The decoded SHDR chunk (§2.5)."""

    width: int
    height: int
    color_space: int
    color_steps: tuple[int, int, int]
    label_set: int = 1
    label_cell_log2: int = 4
    color_cell_log2: int = 5
    has_roi: bool = False
    version: tuple[int, int] = (VERSION_MAJOR, VERSION_MINOR)

    def validate(self) -> None:
        """Check every field against §2.5 and §1.5; raise FormatError/LimitError/UnsupportedError."""
        if self.version[0] != VERSION_MAJOR:
            raise UnsupportedError(
                f"SSGC format version {self.version[0]}.{self.version[1]}: this decoder reads "
                f"version {VERSION_MAJOR}.x only")
        for name, value in (("width", self.width), ("height", self.height)):
            if not 1 <= value <= MAX_DIMENSION:
                raise LimitError(f"{name} {value} outside 1..{MAX_DIMENSION}", chunk="SHDR")
        if self.width * self.height > MAX_PIXELS:
            raise LimitError(f"{self.width}x{self.height} exceeds {MAX_PIXELS} pixels", chunk="SHDR")
        if self.label_set != 1:
            raise UnsupportedError(f"label set {self.label_set} (this decoder knows label set 1, COCO-Stuff 182)")
        for name, value, (lo, hi) in (("label_cell_log2", self.label_cell_log2, LABEL_CELL_LOG2_RANGE),
                                      ("color_cell_log2", self.color_cell_log2, COLOR_CELL_LOG2_RANGE)):
            if not lo <= value <= hi:
                raise FormatError(f"{name} {value} outside {lo}..{hi}", chunk="SHDR")
        from ssgc_format.colormap import check_color_params

        try:
            check_color_params(self.color_space, self.color_steps)
        except FormatError as e:
            raise FormatError(e.detail, chunk="SHDR") from None


def build_header(h: Header) -> bytes:
    h.validate()
    return shdr_format.build(dict(
        version_major=h.version[0], version_minor=h.version[1], width=h.width, height=h.height,
        label_set=h.label_set, label_cell_log2=h.label_cell_log2, color_cell_log2=h.color_cell_log2,
        color_space=h.color_space, color_steps=list(h.color_steps),
        flags=FLAG_HAS_ROI if h.has_roi else 0))


def parse_header(data: bytes) -> Header:
    """Parse and validate SHDR. Version 1.0 requires exactly 14 bytes; a later minor version may
    append fields, which this decoder ignores (§2.5)."""
    if len(data) < SHDR_LENGTH:
        raise FormatError(f"SHDR has {len(data)} bytes, needs {SHDR_LENGTH}", chunk="SHDR")
    f = shdr_format.parse(data[:SHDR_LENGTH])
    if f.version_major == VERSION_MAJOR and f.version_minor == 0 and len(data) != SHDR_LENGTH:
        raise FormatError(f"SHDR of version 1.0 has {len(data)} bytes, expected {SHDR_LENGTH}", chunk="SHDR")
    if f.version_major == VERSION_MAJOR and f.flags & _RESERVED_FLAGS:
        raise FormatError(f"reserved flag bits set in SHDR flags 0x{f.flags:02x}", chunk="SHDR")
    h = Header(width=f.width, height=f.height, color_space=f.color_space,
               color_steps=tuple(f.color_steps), label_set=f.label_set,
               label_cell_log2=f.label_cell_log2, color_cell_log2=f.color_cell_log2,
               has_roi=bool(f.flags & FLAG_HAS_ROI), version=(f.version_major, f.version_minor))
    h.validate()
    return h


def build_meta(key: str, value: str) -> bytes:
    kb = key.encode("ascii")
    if not 1 <= len(kb) <= MAX_META_KEY or any(not 0x20 <= b <= 0x7E for b in kb):
        raise ValueError(f"meta key must be 1..{MAX_META_KEY} printable ASCII characters: {key!r}")
    return kb + b"\0" + value.encode("utf-8")


def parse_meta(data: bytes) -> tuple[str, str]:
    """§2.7: key NUL value. Malformed content is a FormatError naming the chunk."""
    sep = data.find(b"\0")
    if sep < 1 or sep > MAX_META_KEY:
        raise FormatError("meta chunk needs a 1..79 byte key followed by a NUL byte", chunk="meta")
    key = data[:sep]
    if any(not 0x20 <= b <= 0x7E for b in key):
        raise FormatError("meta key has a non-printable byte", chunk="meta")
    try:
        value = data[sep + 1:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"meta value is not UTF-8 (byte {sep + 1 + e.start})", chunk="meta") from None
    return key.decode("ascii"), value
