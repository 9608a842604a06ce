"""CABAC arithmetic encoder of H.266 (§9.3.4.3 decoding mirrored) and a rate estimator.

The engine is the HEVC-style coder (9-bit range, renormalisation, bypass, terminate, flush)
with VVC's two-rate probability model: each context has pStateIdx0 (10-bit) and pStateIdx1
(14-bit); pState = pStateIdx1 + 16 * pStateIdx0 (15-bit) is the probability of a 1;
valMps = pState >> 14; ivlLpsRange = ((ivlCurrRange >> 5) * (q >> 9) >> 1) + 4 with
q = valMps ? 32767 - pState : pState; update pStateIdx0 += ((1023 * bin) >> shift0) -
(pStateIdx0 >> shift0) and likewise pStateIdx1 with 16383 and shift1 (§9.3.4.3.2.2).

:class:`RateEstimator` has the same interface and, instead of producing bytes, sums the ideal
code length -log2(p) of each bin under the current context states (bypass = 1 bit), updating the
states exactly like the coder. It is informative (encoder decisions only).
"""

from __future__ import annotations

import math

import numpy as np

from .contexts import init_states


class ContextStates:
    """The context variables of one slice; shared by a writer and estimators. int64 arrays (the
    compiled rate kernels update them in place): s0/s1 = pStateIdx0/1, r0/r1 = shift0/1."""

    __slots__ = ("s0", "s1", "r0", "r1")

    def __init__(self, slice_qp: int) -> None:
        self.s0, self.s1, self.r0, self.r1 = (np.array(v, dtype=np.int64) for v in init_states(slice_qp))

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        return self.s0.copy(), self.s1.copy()

    def restore(self, snap: tuple[np.ndarray, np.ndarray]) -> None:
        self.s0[:] = snap[0]
        self.s1[:] = snap[1]

    def copy(self) -> "ContextStates":
        c = ContextStates.__new__(ContextStates)
        c.s0, c.s1, c.r0, c.r1 = self.s0.copy(), self.s1.copy(), self.r0, self.r1
        return c


class CabacWriter:
    """Arithmetic encoder writing the slice_data() bytes (after the slice header)."""

    def __init__(self, ctx: ContextStates) -> None:
        self.ctx = ctx
        self.low = 0
        self.range = 510
        self.bits_left = 23
        self.buffered = 0xFF
        self.num_buffered = 0
        self.out = bytearray()

    # -- regular, bypass and terminate bins ------------------------------------------------
    def bin(self, ci: int, b: int) -> None:
        ctx = self.ctx
        s0 = int(ctx.s0[ci])
        s1 = int(ctx.s1[ci])
        p = s1 + (s0 << 4)
        mps = p >> 14
        q = 32767 - p if mps else p
        lps = (((self.range >> 5) * (q >> 9)) >> 1) + 4
        rng = self.range - lps
        if b != mps:
            nb = 9 - lps.bit_length()  # renormalise LPS range to >= 256
            self.low = (self.low + rng) << nb
            self.range = lps << nb
            self.bits_left -= nb
        elif rng < 256:
            self.low <<= 1
            self.range = rng << 1
            self.bits_left -= 1
        else:
            self.range = rng
        if b:
            ctx.s0[ci] = s0 - (s0 >> ctx.r0[ci]) + (1023 >> ctx.r0[ci])
            ctx.s1[ci] = s1 - (s1 >> ctx.r1[ci]) + (16383 >> ctx.r1[ci])
        else:
            ctx.s0[ci] = s0 - (s0 >> ctx.r0[ci])
            ctx.s1[ci] = s1 - (s1 >> ctx.r1[ci])
        if self.bits_left < 12:
            self._write_out()

    def bypass(self, b: int) -> None:
        self.low <<= 1
        if b:
            self.low += self.range
        self.bits_left -= 1
        if self.bits_left < 12:
            self._write_out()

    def bypass_bits(self, value: int, n: int) -> None:
        """n bypass bins, MSB first."""
        for i in range(n - 1, -1, -1):
            self.bypass((value >> i) & 1)

    def term(self, b: int) -> None:
        self.range -= 2
        if b:
            self.low += self.range
            self.low <<= 7
            self.range = 2 << 7
            self.bits_left -= 7
        elif self.range >= 256:
            return
        else:
            self.low <<= 1
            self.range <<= 1
            self.bits_left -= 1
        if self.bits_left < 12:
            self._write_out()

    # -- byte output ----------------------------------------------------------------------
    def _write_out(self) -> None:
        lead = self.low >> (24 - self.bits_left)
        self.bits_left += 8
        self.low &= 0xFFFFFFFF >> self.bits_left
        if lead == 0xFF:
            self.num_buffered += 1
        elif self.num_buffered > 0:
            carry = lead >> 8
            self.out.append((self.buffered + carry) & 0xFF)
            self.buffered = lead & 0xFF
            fill = (0xFF + carry) & 0xFF
            while self.num_buffered > 1:
                self.out.append(fill)
                self.num_buffered -= 1
        else:
            self.num_buffered = 1
            self.buffered = lead

    def finish(self) -> tuple[bytes, int, int]:
        """Flush (after the terminating bin). Returns (whole bytes, trailing value, its bit count)."""
        if self.low >> (32 - self.bits_left):
            self.out.append((self.buffered + 1) & 0xFF)
            while self.num_buffered > 1:
                self.out.append(0x00)
                self.num_buffered -= 1
            self.low -= 1 << (32 - self.bits_left)
        else:
            if self.num_buffered > 0:
                self.out.append(self.buffered)
            while self.num_buffered > 1:
                self.out.append(0xFF)
                self.num_buffered -= 1
        nbits = 24 - self.bits_left
        return bytes(self.out), self.low >> 8, nbits


# cost in bits of coding a 1 (index 0) / 0 (index 1) when pState >> 5 == i
_COST1 = [-math.log2(min(max((i + 0.5) / 1024.0, 1e-4), 1 - 1e-4)) for i in range(1024)]
_COST0 = [-math.log2(min(max(1.0 - (i + 0.5) / 1024.0, 1e-4), 1 - 1e-4)) for i in range(1024)]
COST1 = np.array(_COST1)  # the same tables for the compiled kernels
COST0 = np.array(_COST0)


class RateEstimator:
    """Same interface as :class:`CabacWriter`; ``bits`` accumulates the estimated code length."""

    __slots__ = ("ctx", "bits")

    def __init__(self, ctx: ContextStates) -> None:
        self.ctx = ctx
        self.bits = 0.0

    def bin(self, ci: int, b: int) -> None:
        ctx = self.ctx
        s0 = ctx.s0[ci]
        s1 = ctx.s1[ci]
        i = (s1 + (s0 << 4)) >> 5
        if b:
            self.bits += _COST1[i]
            ctx.s0[ci] = s0 - (s0 >> ctx.r0[ci]) + (1023 >> ctx.r0[ci])
            ctx.s1[ci] = s1 - (s1 >> ctx.r1[ci]) + (16383 >> ctx.r1[ci])
        else:
            self.bits += _COST0[i]
            ctx.s0[ci] = s0 - (s0 >> ctx.r0[ci])
            ctx.s1[ci] = s1 - (s1 >> ctx.r1[ci])

    def bypass(self, b: int) -> None:
        self.bits += 1.0

    def bypass_bits(self, value: int, n: int) -> None:
        self.bits += n

    def term(self, b: int) -> None:
        self.bits += 0.0  # ~ -log2(1 - 2/range): negligible
