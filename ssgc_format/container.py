"""Chunk framing of an SSGC file. Implements spec §2.1-§2.3.

A file is the 8-byte signature followed by chunks, PNG style::

    +--------+--------+----------------+--------+
    | length |  type  |      data      |  CRC   |
    | u32 BE | 4 × u8 |  length bytes  | u32 BE |
    +--------+--------+----------------+--------+
    CRC-32 (ISO-HDLC, as PNG and zlib) over type + data.

Parsing has two levels (§2.3): :func:`read_chunks` checks the signature, the framing, every
length against its limit and every CRC, and returns raw chunks; payloads are interpreted only
after that (``ssgc_format.file``). Chunk order and presence rules live in ``ssgc_format.file``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import construct as cs

from ssgc_format.errors import ChecksumError, FormatError, LimitError

# §2.1: 0x89 catches 7-bit transfers, CR LF / LF catch line-ending conversion, 0x1A stops `type`.
SIGNATURE = b"\x89SGC\r\n\x1a\n"

CHUNK_OVERHEAD = 12  # length + type + CRC
MAX_CHUNK_LENGTH = 1 << 28  # §1.5
MAX_FILE_SIZE = 1 << 30  # §1.5

# Chunk types of version 1 (§2.4). Critical chunks start with an upper-case letter.
SHDR, GENP, LABL, CMAP, MASK, ROIC, SEND = b"SHDR", b"GENP", b"LABL", b"CMAP", b"MASK", b"ROIC", b"SEND"
META = b"meta"


def _crc(ctx) -> bytes:
    return ctx.type + ctx.data


# §2.2 chunk: length | type | data | CRC-32(type + data)
chunk_head = cs.Struct(
    "length" / cs.Int32ub,
    "type" / cs.Bytes(4),
)
chunk_format = cs.Struct(
    "length" / cs.Rebuild(cs.Int32ub, cs.len_(cs.this.data)),
    "type" / cs.Bytes(4),
    "data" / cs.Bytes(cs.this.length),
    "crc" / cs.Checksum(cs.Int32ub, zlib.crc32, _crc),
)


def is_critical(chunk_type: bytes) -> bool:
    """§2.2: a chunk is critical when the first letter of its type is upper case."""
    return 0x41 <= chunk_type[0] <= 0x5A


def type_name(chunk_type: bytes) -> str:
    """Printable name of a chunk type for messages (non-letters shown as escapes)."""
    return "".join(chr(b) if 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A else f"\\x{b:02x}" for b in chunk_type)


def _valid_type(chunk_type: bytes) -> bool:
    return all(0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A for b in chunk_type)


@dataclass(frozen=True)
class RawChunk:
    """One chunk after framing and CRC checks: its type, data and file offset of its length field."""

    type: bytes
    data: bytes
    offset: int

    @property
    def name(self) -> str:
        return type_name(self.type)

    @property
    def size(self) -> int:
        """Bytes the chunk occupies in the file, framing included."""
        return len(self.data) + CHUNK_OVERHEAD


def build_chunk(chunk_type: bytes, data: bytes) -> bytes:
    if not (len(chunk_type) == 4 and _valid_type(chunk_type)):
        raise ValueError(f"invalid chunk type {chunk_type!r}")
    if len(data) > MAX_CHUNK_LENGTH:
        raise LimitError(f"chunk data of {len(data)} bytes exceeds {MAX_CHUNK_LENGTH}",
                         chunk=type_name(chunk_type))
    return chunk_format.build(dict(type=chunk_type, data=data))


def build_file(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """The signature followed by the given (type, data) chunks, in order."""
    return SIGNATURE + b"".join(build_chunk(t, d) for t, d in chunks)


def read_chunks(data: bytes) -> list[RawChunk]:
    """Split a whole file into CRC-checked chunks (§2.3 level 1).

    Stops after the first ``SEND`` chunk; any byte after it is an error. Raises
    :class:`FormatError` (or :class:`ChecksumError`, :class:`LimitError`) naming the chunk and
    the byte offset of the problem. Never reads past ``data`` and allocates nothing beyond it.
    """
    if len(data) > MAX_FILE_SIZE:
        raise LimitError(f"file of {len(data)} bytes exceeds {MAX_FILE_SIZE}")
    if len(data) < len(SIGNATURE) or data[: len(SIGNATURE)] != SIGNATURE:
        hint = ""
        if data[1:4] == b"SGC":
            hint = " (looks like an SSGC file damaged by a text-mode transfer)"
        raise FormatError(f"not an SSGC file: bad signature{hint}", offset=0)
    chunks: list[RawChunk] = []
    pos = len(SIGNATURE)
    while True:
        if pos == len(data):
            raise FormatError("file ends without a SEND chunk (truncated?)", offset=pos)
        if len(data) - pos < CHUNK_OVERHEAD:
            raise FormatError(f"truncated chunk header: {len(data) - pos} bytes left", offset=pos)
        head = chunk_head.parse(data[pos: pos + 8])
        name = type_name(head.type)
        if not _valid_type(head.type):
            raise FormatError(f"invalid chunk type {name!r}", offset=pos + 4)
        if head.length > MAX_CHUNK_LENGTH:
            raise LimitError(f"chunk length {head.length} exceeds {MAX_CHUNK_LENGTH}", chunk=name, offset=pos)
        end = pos + CHUNK_OVERHEAD + head.length
        if end > len(data):
            raise FormatError(f"chunk of {head.length} data bytes runs past the end of the file "
                              f"({len(data) - pos - CHUNK_OVERHEAD} available)", chunk=name, offset=pos)
        try:
            parsed = chunk_format.parse(data[pos:end])
        except cs.ChecksumError:
            raise ChecksumError("CRC-32 mismatch: the chunk is damaged", chunk=name, offset=end - 4) from None
        chunks.append(RawChunk(parsed.type, parsed.data, pos))
        pos = end
        if parsed.type == SEND:
            if pos != len(data):
                raise FormatError(f"{len(data) - pos} bytes after the SEND chunk", offset=pos)
            return chunks
