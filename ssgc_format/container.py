"""Byte-level container of an SSGC 2.x file. Implements spec §2.1, §2.2, §2.4-§2.6.

::

    +------------+---------+--------+------------------+------------------+---------+
    | signature  | version | header | [extension       | payload segments | CRC-32  |
    | 89 53 47   | u8      | bits   |  segments, END]  | LABL CMAP [MASK  | u32 BE  |
    |            | maj|min |        |                  |  ROIC]           |         |
    +------------+---------+--------+------------------+------------------+---------+

    payload segment:    length varint | data
    extension segment:  tag u8 | length varint | data        tag 0 = END (length 0)

The CRC-32 (ISO-HDLC, as zlib) covers every byte before it and is checked before anything after
the version byte is interpreted. The header (bit-packed) is ``ssgc_format.header``; the order of
segments and what they hold is ``ssgc_format.file``.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import construct as cs

from ssgc_format.bitio import Varint, decode_varint, encode_varint
from ssgc_format.errors import ChecksumError, FormatError, LimitError, UnsupportedError

# §2.1: 0x89 catches 7-bit transfers and is not ASCII; "SG" names the format.
SIGNATURE = b"\x89SG"
V1_SIGNATURE = b"\x89SGC\r\n\x1a\n"  # SSGC 1.x (not read by 2.x decoders)
LEAD_LENGTH = 4  # signature + version
CRC_LENGTH = 4
MIN_FILE_SIZE = LEAD_LENGTH + 1 + CRC_LENGTH  # a header is at least one byte
MAX_FILE_SIZE = 1 << 30  # §1.5

# §2.5 extension segments
TAG_END = 0x00
TAG_META = 0x01
TAG_CRITICAL = 0x80  # bit 7 of a tag: a decoder that does not know the tag shall refuse the file
MAX_EXTENSIONS = 64  # segments before END (§1.5)
MAX_EXTENSION_BYTES = 1 << 16  # total data bytes of the extension segments (§1.5)
MAX_META_KEY = 79
TAG_NAMES = {TAG_END: "END", TAG_META: "meta"}

# §2.2 lead: signature and version
lead_format = cs.Struct(
    "signature" / cs.Const(SIGNATURE),
    "version" / cs.Int8ub,  # major << 4 | minor
)

# §2.6 the CRC-32 of every byte before it, then the end of the file
sealed_format = cs.Struct(
    "body" / cs.Bytes(cs.this._.body_length),
    "crc" / cs.Checksum(cs.Int32ub, zlib.crc32, cs.this.body),
    cs.Terminated,
)

# §2.4 payload segment
payload_segment = cs.Struct(
    "length" / cs.Rebuild(Varint, cs.len_(cs.this.data)),
    "data" / cs.Bytes(cs.this.length),
)

# §2.5 extension segment
extension_segment = cs.Struct(
    "tag" / cs.Int8ub,
    "length" / cs.Rebuild(Varint, cs.len_(cs.this.data)),
    "data" / cs.Bytes(cs.this.length),
)


def tag_name(tag: int) -> str:
    if tag in TAG_NAMES:
        return TAG_NAMES[tag]
    return f"{'critical' if tag & TAG_CRITICAL else 'ancillary'} tag 0x{tag:02x}"


def version_byte(major: int, minor: int) -> int:
    return (major << 4) | minor


def build_lead(major: int, minor: int) -> bytes:
    return bytes(lead_format.build(dict(version=version_byte(major, minor))))


def seal(body: bytes) -> bytes:
    """``body`` followed by its CRC-32 (§2.6)."""
    if len(body) + CRC_LENGTH > MAX_FILE_SIZE:
        raise LimitError(f"file of {len(body) + CRC_LENGTH} bytes exceeds {MAX_FILE_SIZE}")
    return bytes(sealed_format.build(dict(body=body), body_length=len(body)))


def check_lead_and_crc(data: bytes, supported_major: int) -> tuple[int, int]:
    """Steps 1-4 of §2.7: size limit, signature, version, CRC. Returns ``(major, minor)``."""
    if len(data) > MAX_FILE_SIZE:
        raise LimitError(f"file of {len(data)} bytes exceeds {MAX_FILE_SIZE}")
    if data[:8] == V1_SIGNATURE:
        raise UnsupportedError("an SSGC 1.x file (8-byte version-1 signature): this decoder reads "
                               f"version {supported_major}.x only")
    if len(data) < len(SIGNATURE) or data[: len(SIGNATURE)] != SIGNATURE:
        raise FormatError("not an SSGC file: bad signature", offset=0)
    if len(data) < LEAD_LENGTH:
        raise FormatError("file ends after the signature (truncated)", offset=len(data))
    v = lead_format.parse(data[:LEAD_LENGTH]).version
    major, minor = v >> 4, v & 0xF
    if major != supported_major:
        raise UnsupportedError(f"SSGC format version {major}.{minor}: this decoder reads version "
                               f"{supported_major}.x only")
    if len(data) < MIN_FILE_SIZE:
        raise FormatError(f"file of {len(data)} bytes is shorter than the smallest SSGC file "
                          f"({MIN_FILE_SIZE}; truncated)", offset=len(data))
    try:
        sealed_format.parse(data, body_length=len(data) - CRC_LENGTH)
    except cs.ChecksumError:
        raise ChecksumError("CRC-32 mismatch: the file is damaged or truncated",
                            chunk="CRC", offset=len(data) - CRC_LENGTH) from None
    return major, minor


def _parse_at(fmt: cs.Construct, data: bytes, pos: int, end: int, where: str) -> tuple[cs.Container, int]:
    """Parse ``fmt`` at ``data[pos:end]``; return it and the position after it."""
    stream = io.BytesIO(data[:end])
    stream.seek(pos)
    try:
        obj = fmt.parse_stream(stream)
    except cs.StreamError:
        raise FormatError("segment runs past the CRC (truncated)", chunk=where, offset=pos) from None
    return obj, stream.tell()


def read_payload_segment(data: bytes, pos: int, end: int, name: str) -> tuple[bytes, int, int]:
    """A payload segment at ``pos`` (§2.4): ``(data, data offset, next pos)``. ``end`` is the CRC's offset."""
    decode_varint(data, pos, where=name)  # canonical-form check with a precise message
    seg, nxt = _parse_at(payload_segment, data, pos, end, name)
    return bytes(seg.data), nxt - len(seg.data), nxt


@dataclass(frozen=True)
class Extension:
    """One extension segment (§2.5): tag, data, file offset of its tag byte."""

    tag: int
    data: bytes
    offset: int

    @property
    def name(self) -> str:
        return tag_name(self.tag)

    @property
    def size(self) -> int:
        """Bytes in the file, tag and length included."""
        return 1 + len(encode_varint(len(self.data))) + len(self.data)


def build_extensions(items: list[tuple[int, bytes]]) -> bytes:
    """Extension segments followed by END (§2.5)."""
    if len(items) > MAX_EXTENSIONS:
        raise LimitError(f"{len(items)} extension segments exceed {MAX_EXTENSIONS}")
    total = sum(len(d) for _, d in items)
    if total > MAX_EXTENSION_BYTES:
        raise LimitError(f"{total} bytes of extension data exceed {MAX_EXTENSION_BYTES}")
    for tag, _ in items:
        if not 0 < tag <= 0xFF:
            raise ValueError(f"invalid extension tag {tag}")
    segs = [bytes(extension_segment.build(dict(tag=t, data=d))) for t, d in items]
    return b"".join(segs) + bytes(extension_segment.build(dict(tag=TAG_END, data=b"")))


def read_extensions(data: bytes, pos: int, end: int) -> tuple[list[Extension], int]:
    """Extension segments from ``pos`` up to and including END (§2.5); return them (END
    excluded) and the position after END. Limits are checked before any data is read; an unknown
    critical tag is UnsupportedError, an END with data a FormatError; ancillary segments other
    than ``meta`` are returned unparsed (the caller skips them)."""
    out: list[Extension] = []
    total = 0
    while True:
        if pos >= end:
            raise FormatError("extension segments run into the CRC (no END)", chunk="extensions", offset=pos)
        tag = data[pos]
        length, _ = decode_varint(data, pos + 1, where=tag_name(tag))
        if tag == TAG_END:
            if length:
                raise FormatError(f"END segment with {length} data bytes (shall be empty)", chunk="END",
                                  offset=pos)
            if not out:
                raise FormatError("has_extensions = 1 but no extension segment before END "
                                  "(non-canonical)", chunk="END", offset=pos)
            return out, pos + 2
        if len(out) == MAX_EXTENSIONS:
            raise LimitError(f"more than {MAX_EXTENSIONS} extension segments", chunk=tag_name(tag), offset=pos)
        total += length
        if total > MAX_EXTENSION_BYTES:
            raise LimitError(f"extension data exceeds {MAX_EXTENSION_BYTES} bytes in all",
                             chunk=tag_name(tag), offset=pos)
        seg, nxt = _parse_at(extension_segment, data, pos, end, tag_name(tag))
        if tag & TAG_CRITICAL:
            raise UnsupportedError(f"unknown critical extension segment (tag 0x{tag:02x}) at byte {pos}: "
                                   "this file needs a newer decoder")
        ext = Extension(tag, bytes(seg.data), pos)
        if tag == TAG_META:
            parse_meta(ext.data, pos)
        out.append(ext)
        pos = nxt


def build_meta(key: str, value: str) -> bytes:
    kb = key.encode("ascii")
    if not 1 <= len(kb) <= MAX_META_KEY or any(not 0x20 <= b <= 0x7E for b in kb):
        raise ValueError(f"meta key must be 1..{MAX_META_KEY} printable ASCII characters: {key!r}")
    return kb + b"\0" + value.encode("utf-8")


def parse_meta(data: bytes, offset: int | None = None) -> tuple[str, str]:
    """§2.5 meta: key NUL value. Malformed content is a FormatError naming the segment."""
    sep = data.find(b"\0")
    if sep < 1 or sep > MAX_META_KEY:
        raise FormatError("meta needs a 1..79 byte key followed by a NUL byte", chunk="meta", offset=offset)
    key = data[:sep]
    if any(not 0x20 <= b <= 0x7E for b in key):
        raise FormatError("meta key has a non-printable byte", chunk="meta", offset=offset)
    try:
        value = data[sep + 1:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"meta value is not UTF-8 (byte {sep + 1 + e.start})", chunk="meta",
                          offset=offset) from None
    return key.decode("ascii"), value
