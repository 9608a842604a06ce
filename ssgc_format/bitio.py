"""Bit-packed fields and canonical varints. Implements spec §1.3 (bit order) and §2.4 (varint).

* :class:`BitWriter` / :class:`BitReader`: unsigned fields ``u(n)``, most significant bit first,
  as in H.26x headers. :meth:`BitWriter.to_bytes` pads with zero bits to a byte;
  :meth:`BitReader.finish` checks that padding (nonzero padding is a FormatError).
* :data:`Varint`: an unsigned LEB128 integer as a construct type (7 bits a byte, least
  significant group first, bit 7 = "another byte follows"), canonical only: at most
  :data:`VARINT_MAX_BYTES` bytes and no needless final zero group, so each value has exactly one
  encoding.
"""

from __future__ import annotations

from typing import Any

import construct as cs

from ssgc_format.errors import FormatError

VARINT_MAX_BYTES = 4  # §2.4: values 0 .. 2^28 - 1
VARINT_LIMIT = 1 << (7 * VARINT_MAX_BYTES)


class BitWriter:
    """Collects ``u(n)`` fields, MSB first."""

    def __init__(self) -> None:
        self._value = 0
        self._bits = 0

    def u(self, value: int, nbits: int) -> None:
        if not 0 <= value < (1 << nbits):
            raise ValueError(f"{value} does not fit in {nbits} bits")
        self._value = (self._value << nbits) | value
        self._bits += nbits

    def flag(self, value: bool) -> None:
        self.u(1 if value else 0, 1)

    @property
    def bits(self) -> int:
        return self._bits

    def to_bytes(self) -> bytes:
        """The fields followed by zero bits up to the next byte boundary."""
        pad = -self._bits % 8
        return (self._value << pad).to_bytes((self._bits + pad) // 8, "big")


class BitReader:
    """Reads ``u(n)`` fields MSB first from ``data`` starting at byte ``offset`` (for messages).

    Reading past the end is a FormatError (``where`` names the structure for the message).
    """

    def __init__(self, data: bytes, offset: int = 0, *, where: str = "header") -> None:
        self._data = data
        self._start = offset
        self._pos = offset * 8  # bit position in data
        self.where = where

    @property
    def bit_pos(self) -> int:
        """Bits read so far from the start offset."""
        return self._pos - self._start * 8

    @property
    def byte_offset(self) -> int:
        """File offset of the byte holding the next bit."""
        return self._pos // 8

    def u(self, nbits: int) -> int:
        if nbits == 0:
            return 0
        end = self._pos + nbits
        if end > len(self._data) * 8:
            raise FormatError("file ends inside the header (truncated)", chunk=self.where,
                              offset=len(self._data))
        first, last = self._pos // 8, (end + 7) // 8
        chunk = int.from_bytes(self._data[first:last], "big")
        value = (chunk >> (last * 8 - end)) & ((1 << nbits) - 1)
        self._pos = end
        return value

    def flag(self) -> bool:
        return self.u(1) == 1

    def finish(self) -> int:
        """Skip the padding to the next byte boundary (it shall be zero bits); return the byte
        offset after the header."""
        pad = -self._pos % 8
        if pad and self.u(pad) != 0:
            raise FormatError("nonzero padding bits after the header", chunk=self.where,
                              offset=self._pos // 8 - 1)
        return self._pos // 8


def encode_varint(value: int) -> bytes:
    """Canonical LEB128 of ``0 <= value < 2^28``."""
    if not 0 <= value < VARINT_LIMIT:
        raise ValueError(f"varint {value} outside 0..{VARINT_LIMIT - 1}")
    out = bytearray()
    while True:
        group = value & 0x7F
        value >>= 7
        if value:
            out.append(group | 0x80)
        else:
            out.append(group)
            return bytes(out)


def decode_varint(data: bytes, pos: int, *, where: str) -> tuple[int, int]:
    """Read a canonical varint at ``data[pos]``; return ``(value, next_pos)``.

    FormatError when the file ends inside it, when it has more than 4 bytes, or when its last
    byte is a needless zero group (a longer encoding of a smaller value).
    """
    value = 0
    for i in range(VARINT_MAX_BYTES):
        if pos + i >= len(data):
            raise FormatError("file ends inside a length (truncated)", chunk=where, offset=pos)
        b = data[pos + i]
        value |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            if b == 0 and i > 0:
                raise FormatError("non-canonical varint (a needless zero byte)", chunk=where, offset=pos + i)
            return value, pos + i + 1
    raise FormatError(f"varint longer than {VARINT_MAX_BYTES} bytes", chunk=where, offset=pos)


class _VarintConstruct(cs.Construct):  # type: ignore[misc]
    """construct type for the canonical varint (errors come out as construct errors)."""

    def _parse(self, stream: Any, context: Any, path: str) -> int:
        raw = bytearray()
        for _ in range(VARINT_MAX_BYTES):
            b = cs.stream_read(stream, 1, path)[0]
            raw.append(b)
            if not b & 0x80:
                break
        try:
            value, _ = decode_varint(bytes(raw), 0, where="varint")
        except FormatError as e:
            raise cs.ValidationError(e.detail, path=path) from None
        return value

    def _build(self, obj: int, stream: Any, context: Any, path: str) -> int:
        cs.stream_write(stream, encode_varint(obj), len(encode_varint(obj)), path)
        return obj

    def _sizeof(self, context: Any, path: str) -> int:
        raise cs.SizeofError("a varint has a variable size", path=path)


Varint = _VarintConstruct()
