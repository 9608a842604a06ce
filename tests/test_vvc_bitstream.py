"""Unit tests of the VVC encoder's bit-level layers: u/ue/se writer, emulation prevention, NAL framing,
the CABAC engine (against an independent decoder written from H.266 §9.3.4.3) and the MPM mapping."""

from __future__ import annotations

import random

from hypothesis import given, settings, strategies as st

from ssgc_ref.vvc.bitwriter import BitWriter
from ssgc_ref.vvc.cabac import CabacWriter, ContextStates, RateEstimator
from ssgc_ref.vvc.contexts import NUM_CTX
from ssgc_ref.vvc.nal import annexb, emulation_prevention, nal_unit
from ssgc_ref.vvc.sps_probe import BitReader
from ssgc_ref.vvc.syntax import decode_remainder, mpm_list, write_luma_mode


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["u", "ue", "se"]), st.integers(0, 1 << 20), st.integers(0, 24))))
def test_writer_round_trip(items):
    w = BitWriter()
    expect = []
    for kind, v, n in items:
        if kind == "u":
            v &= (1 << n) - 1
            w.u(n, v)
        elif kind == "ue":
            w.ue(v)
        else:
            v -= 1 << 19
            w.se(v)
        expect.append((kind, v, n))
    w.byte_alignment()
    r = BitReader(w.getvalue())
    for kind, v, n in expect:
        got = r.u(n) if kind == "u" else (r.ue() if kind == "ue" else r.se())
        assert got == v
    assert r.u(1) == 1  # alignment bit


def test_ue_known_codes():
    w = BitWriter()
    for v in (0, 1, 2, 3):
        w.ue(v)
    w.align_zero()
    # 1 010 011 00100 -> 1010 0110 0100 0000
    assert w.getvalue() == bytes([0b10100110, 0b01000000])


def _unescape(data: bytes) -> bytes:
    out, zeros = bytearray(), 0
    for b in data:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64).map(lambda b: bytes(x & 3 if x & 0x80 else x for x in b)))
def test_emulation_prevention(rbsp):
    esc = emulation_prevention(rbsp)
    for i in range(len(esc) - 2):
        assert not (esc[i] == 0 and esc[i + 1] == 0 and esc[i + 2] <= 2)
    assert not esc or esc[-1] != 0
    un = _unescape(esc)
    assert un == rbsp or (un == rbsp + b"\x03" and rbsp.endswith(b"\x00"))


def test_nal_header_and_start_code():
    n = nal_unit(15, b"\x80")
    assert n[:2] == bytes([0, (15 << 3) | 1])
    assert annexb([n, n]) == b"\x00\x00\x00\x01" + n + b"\x00\x00\x00\x01" + n  # parameter sets: zero_byte
    s = nal_unit(8, b"\x80")  # a slice after them: the 3-byte start code
    assert annexb([n, s]) == b"\x00\x00\x00\x01" + n + b"\x00\x00\x01" + s
    assert annexb([s]) == b"\x00\x00\x00\x01" + s  # the first NAL unit of the access unit


class CabacDecoder:
    """Independent arithmetic decoder (H.266 §9.3.4.3.1..5), 9-bit range, bit-serial."""

    def __init__(self, data: bytes, ctx: ContextStates) -> None:
        self.r = BitReader(data + b"\x00" * 8)
        self.ctx = ctx
        self.range = 510
        self.offset = self.r.u(9)

    def _renorm(self) -> None:
        while self.range < 256:
            self.range <<= 1
            self.offset = (self.offset << 1) | self.r.u(1)

    def bin(self, ci: int) -> int:
        c = self.ctx
        p = c.s1[ci] + (c.s0[ci] << 4)
        mps = p >> 14
        q = 32767 - p if mps else p
        lps = (((self.range >> 5) * (q >> 9)) >> 1) + 4
        self.range -= lps
        if self.offset >= self.range:
            b = 1 - mps
            self.offset -= self.range
            self.range = lps
        else:
            b = mps
        self._renorm()
        c.s0[ci] = c.s0[ci] - (c.s0[ci] >> c.r0[ci]) + ((1023 * b) >> c.r0[ci])
        c.s1[ci] = c.s1[ci] - (c.s1[ci] >> c.r1[ci]) + ((16383 * b) >> c.r1[ci])
        return b

    def bypass(self) -> int:
        self.offset = (self.offset << 1) | self.r.u(1)
        if self.offset >= self.range:
            self.offset -= self.range
            return 1
        return 0

    def term(self) -> int:
        self.range -= 2
        if self.offset >= self.range:
            return 1
        self._renorm()
        return 0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 63), st.integers(1, 3000))
def test_cabac_against_independent_decoder(seed, qp, n):
    rng = random.Random(seed)
    skew = rng.random()
    ops = []
    for _ in range(n):
        k = rng.random()
        if k < 0.7:
            ops.append(("bin", rng.randrange(NUM_CTX), int(rng.random() < skew)))
        elif k < 0.98:
            ops.append(("bypass", 0, rng.randrange(2)))
        else:
            ops.append(("term", 0, 0))
    ops.append(("term", 0, 1))
    w = CabacWriter(ContextStates(qp))
    est = RateEstimator(ContextStates(qp))
    for kind, ci, b in ops:
        getattr(w, kind)(*((ci, b) if kind == "bin" else (b,)))
        getattr(est, kind)(*((ci, b) if kind == "bin" else (b,)))
    body, tail, nbits = w.finish()
    bw = BitWriter()
    bw.write_bytes(body)
    bw.u(nbits, tail)
    bw.byte_alignment()
    data = bw.getvalue()
    d = CabacDecoder(data, ContextStates(qp))
    for kind, ci, b in ops:
        got = d.bin(ci) if kind == "bin" else (d.bypass() if kind == "bypass" else d.term())
        assert got == b
    # the estimate is close to the real size for long runs
    if n > 1000:
        assert abs(est.bits - 8 * len(data)) < 0.05 * 8 * len(data) + 64


class _Collect:
    def __init__(self):
        self.bins = []

    def bin(self, ci, b):
        self.bins.append(("c", ci, b))

    def bypass_bits(self, v, n):
        self.bins += [("b", 0, (v >> i) & 1) for i in range(n - 1, -1, -1)]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 66), st.integers(0, 66), st.integers(0, 66))
def test_mpm_list_and_remainder(a, b, mode):
    mpm = mpm_list(a, b)
    assert len(set(mpm)) == 5 and all(1 <= m <= 66 for m in mpm)
    sink = _Collect()
    write_luma_mode(sink, mode, mpm)
    bins = sink.bins
    if mode == 0:
        assert [x[2] for x in bins] == [1, 0]
    elif mode in mpm:
        assert bins[0][2] == 1 and bins[1][2] == 1
        idx = sum(x[2] for x in bins[2:])
        assert mpm[idx] == mode
    else:
        assert bins[0][2] == 0
        bits = [x[2] for x in bins[1:]]
        v = int("".join(map(str, bits[:5])), 2)
        if v >= 3:
            v = ((v << 1) | bits[5]) - 3
            assert len(bits) == 6
        else:
            assert len(bits) == 5
        assert decode_remainder(v, mpm) == mode
