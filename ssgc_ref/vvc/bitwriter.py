"""Bit writer for H.266 RBSP syntax: u(n), ue(v), se(v), byte_alignment() (H.266 §7.2, §9.2).

Not normative for SSGC (the ROI substream is defined by H.266 itself); used by the VVC encoder.
"""

from __future__ import annotations


class BitWriter:
    """MSB-first bit accumulator. ``getvalue()`` requires byte alignment."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._acc = 0  # pending bits, MSB first
        self._n = 0  # number of pending bits (< 8 between calls)

    def u(self, n: int, value: int) -> None:
        """Write ``value`` as an n-bit unsigned integer (n may be 0)."""
        if n < 0 or value < 0 or (n < 64 and value >> n):
            raise ValueError(f"value {value} does not fit u({n})")
        self._acc = (self._acc << n) | value
        self._n += n
        while self._n >= 8:
            self._n -= 8
            self._out.append((self._acc >> self._n) & 0xFF)
        self._acc &= (1 << self._n) - 1

    def flag(self, value: bool | int) -> None:
        self.u(1, 1 if value else 0)

    def ue(self, value: int) -> None:
        """Exp-Golomb ue(v) (H.266 §9.2)."""
        if value < 0:
            raise ValueError(f"ue(v) of negative value {value}")
        v = value + 1
        n = v.bit_length()
        self.u(n - 1, 0)
        self.u(n, v)

    def se(self, value: int) -> None:
        """Signed Exp-Golomb se(v): k>0 -> 2k-1, k<=0 -> -2k (H.266 §9.2.2)."""
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    @property
    def byte_aligned(self) -> bool:
        return self._n == 0

    @property
    def bit_position(self) -> int:
        return 8 * len(self._out) + self._n

    def byte_alignment(self) -> None:
        """byte_alignment(): one bit equal to 1, then zero bits up to the byte boundary."""
        self.u(1, 1)
        self.align_zero()

    rbsp_trailing_bits = byte_alignment

    def align_zero(self) -> None:
        if self._n:
            self.u(8 - self._n, 0)

    def write_bytes(self, data: bytes) -> None:
        if self._n:
            raise ValueError("write_bytes needs byte alignment")
        self._out += data

    def getvalue(self) -> bytes:
        if self._n:
            raise ValueError("bitstream not byte aligned")
        return bytes(self._out)
