"""The ROIC payload: the region-of-interest substream and its placement. Implements spec §7.2-7.3.

ROIC payload (10-byte head, then the substream)::

    offset  size  field        range / meaning
    0       u8    codec_id     1 = H.266/VVC Annex-B byte stream (§7.4); other values reserved:
                               UnsupportedError
    1       u16   x            left column of the placement rectangle, x + width <= W
    3       u16   y            top row of the placement rectangle, y + height <= H
    5       u16   width        2..W, even (4:2:0)
    7       u16   height       2..H, even (4:2:0)
    9       u8    bit_depth    8 or 10: bit depth of the substream's luma and chroma
    10      ...   substream    the rest of the payload, at least 1 byte, opaque here (§7.4)
"""

from __future__ import annotations

from dataclasses import dataclass

import construct as cs

from ssgc_format.errors import FormatError, UnsupportedError

__all__ = ["CODEC_VVC", "ROIC_HEAD_LENGTH", "ROIPayload", "build_roi_payload", "parse_roi_payload"]

CODEC_VVC = 1
BIT_DEPTHS = (8, 10)
ROIC_HEAD_LENGTH = 10

roic_head_format = cs.Struct(
    "codec_id" / cs.Int8ub,
    "x" / cs.Int16ub,
    "y" / cs.Int16ub,
    "width" / cs.Int16ub,
    "height" / cs.Int16ub,
    "bit_depth" / cs.Int8ub,
)
assert roic_head_format.sizeof() == ROIC_HEAD_LENGTH


@dataclass(frozen=True)
class ROIPayload:
    """A decoded ROIC payload (§7.2). ``substream`` is the codec's byte stream, not parsed here."""

    codec_id: int
    x: int
    y: int
    width: int
    height: int
    bit_depth: int
    substream: bytes

    def validate(self, image_width: int | None = None, image_height: int | None = None) -> None:
        """Check every constraint of §7.3; with the image size also the placement. FormatError or
        UnsupportedError (codec_id) on violation."""
        if self.codec_id != CODEC_VVC:
            raise UnsupportedError(f"ROIC codec_id {self.codec_id} is reserved (only 1 = H.266/VVC)")
        for name in ("x", "y", "width", "height"):
            v = getattr(self, name)
            if not 0 <= v <= 0xFFFF:
                raise FormatError(f"ROIC {name} {v} outside 0..65535", chunk="ROIC")
        for name in ("width", "height"):
            v = getattr(self, name)
            if v < 2 or v % 2:
                raise FormatError(f"ROIC {name} {v} shall be even and at least 2", chunk="ROIC")
        if self.bit_depth not in BIT_DEPTHS:
            raise FormatError(f"ROIC bit_depth {self.bit_depth} is not 8 or 10", chunk="ROIC")
        if len(self.substream) == 0:
            raise FormatError("ROIC substream is empty", chunk="ROIC", offset=ROIC_HEAD_LENGTH)
        if image_width is not None and self.x + self.width > image_width:
            raise FormatError(f"ROIC rectangle x {self.x} + width {self.width} exceeds image width "
                              f"{image_width}", chunk="ROIC")
        if image_height is not None and self.y + self.height > image_height:
            raise FormatError(f"ROIC rectangle y {self.y} + height {self.height} exceeds image height "
                              f"{image_height}", chunk="ROIC")


def build_roi_payload(p: ROIPayload) -> bytes:
    """Serialise a ROIC payload (§7.2); FormatError/UnsupportedError if a field is out of range."""
    p.validate()
    head: bytes = roic_head_format.build(dict(codec_id=p.codec_id, x=p.x, y=p.y, width=p.width,
                                       height=p.height, bit_depth=p.bit_depth))
    return head + bytes(p.substream)


def parse_roi_payload(data: bytes, image_width: int, image_height: int) -> ROIPayload:
    """Parse and check a ROIC payload against the picture size from the header (§2.3, §7.2, §7.3)."""
    data = bytes(data)
    if len(data) < ROIC_HEAD_LENGTH:
        raise FormatError(f"ROIC has {len(data)} bytes, needs at least {ROIC_HEAD_LENGTH + 1}",
                          chunk="ROIC", offset=len(data))
    f = roic_head_format.parse(data[:ROIC_HEAD_LENGTH])
    p = ROIPayload(codec_id=f.codec_id, x=f.x, y=f.y, width=f.width, height=f.height,
                   bit_depth=f.bit_depth, substream=data[ROIC_HEAD_LENGTH:])
    p.validate(image_width, image_height)
    return p
