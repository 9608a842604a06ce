"""Edits of a valid H.266 ROI substream that exercise each rule of spec §7.4 (for vectors and tests).

Each function takes the Annex-B substream of a valid ROIC chunk and returns a stream that breaks
(or, for :func:`with_gci`, still satisfies) one rule.
"""

from __future__ import annotations

from typing import Callable

from ssgc_ref.vvc.nal import annexb, emulation_prevention
from ssgc_ref.vvc.sps_probe import GCI_FIXED_BITS, SPS_NUT, _rbsp, annexb_nal_units

__all__ = ["FD_NUT", "TRAIL_NUT", "with_gci", "two_pictures", "with_filler_nal_units", "with_vcl_type",
           "with_sps_size"]

FD_NUT = 25  # filler data
TRAIL_NUT = 0
# SPS bits before gci_present_flag when sps_ptl_dpb_hrd_params_present_flag = 1: ids 4+4,
# sublayers 3, chroma 2, CTU 2, the PTL flag 1, then profile 7, tier 1, level 8, two flags.
_GCI_FLAG_POS = 4 + 4 + 3 + 2 + 2 + 1 + 7 + 1 + 8 + 1 + 1


def _bits(data: bytes) -> str:
    return "".join(f"{b:08b}" for b in data)


def _payload_bits(rbsp: bytes) -> str:
    """The RBSP's bits without rbsp_trailing_bits (the last 1 bit and the zeros after it)."""
    bits = _bits(rbsp)
    return bits[: bits.rindex("1")]


def _bytes(bits: str) -> bytes:
    """Bits then rbsp_trailing_bits: a stop bit 1 and zeros to the byte boundary."""
    bits += "1"
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i: i + 8], 2) for i in range(0, len(bits), 8))


def _map_nals(sub: bytes, fn: Callable[[bytes], bytes]) -> bytes:
    return annexb([fn(n) for n in annexb_nal_units(sub)])


def with_gci(sub: bytes, additional_bits: int = 9) -> bytes:
    """The SPS rewritten with gci_present_flag = 1: 71 zero constraint bits (no constraint),
    ``additional_bits`` zero bits, alignment. A conforming stream that decodes to the same picture."""
    def edit(nal: bytes) -> bytes:
        if (nal[1] >> 3) != SPS_NUT:
            return nal
        bits = _payload_bits(_rbsp(nal[2:]))
        if bits[15] != "1" or bits[_GCI_FLAG_POS] != "0":
            raise ValueError("SPS without profile_tier_level or with GCI already present")
        after = (_GCI_FLAG_POS + 1 + 7) & ~7  # gci_alignment_zero_bit ends the structure
        gci = "1" + "0" * GCI_FIXED_BITS + f"{additional_bits:08b}" + "0" * additional_bits
        head = bits[:_GCI_FLAG_POS] + gci
        head += "0" * (-len(head) % 8)
        return nal[:2] + emulation_prevention(_bytes(head + bits[after:]))
    return _map_nals(sub, edit)


def with_sps_size(sub: bytes, width: int, height: int) -> bytes:
    """The SPS's sps_pic_width/height_max_in_luma_samples replaced (no GCI, no resampling assumed
    to be followed by the sizes as the reference encoder writes them)."""
    from ssgc_ref.vvc.sps_probe import BitReader, _profile_tier_level

    def ue(v: int) -> str:
        b = f"{v + 1:b}"
        return "0" * (len(b) - 1) + b

    def edit(nal: bytes) -> bytes:
        if (nal[1] >> 3) != SPS_NUT:
            return nal
        rbsp = _rbsp(nal[2:])
        r = BitReader(rbsp)
        r.u(8)
        sub_minus1 = r.u(3)
        r.u(4)
        if r.u(1):
            _profile_tier_level(r, sub_minus1)
        r.u(1)
        if r.u(1):
            r.u(1)
        start = r.pos
        r.ue()
        r.ue()
        bits = _payload_bits(rbsp)
        return nal[:2] + emulation_prevention(_bytes(bits[:start] + ue(width) + ue(height) + bits[r.pos:]))
    return _map_nals(sub, edit)


def two_pictures(sub: bytes) -> bytes:
    """The substream twice: two coded pictures (two IDR pictures, two CLVSs)."""
    return sub + sub


def with_filler_nal_units(sub: bytes, count: int) -> bytes:
    """``count`` filler data NAL units appended after the picture."""
    filler = bytes([0, FD_NUT << 3 | 1, 0xFF, 0x80])
    return sub + b"".join(b"\x00\x00\x00\x01" + filler for _ in range(count))


def with_vcl_type(sub: bytes, nal_unit_type: int) -> bytes:
    """Every coded slice NAL unit relabelled with ``nal_unit_type`` (e.g. TRAIL_NUT, not IRAP)."""
    def edit(nal: bytes) -> bytes:
        if (nal[1] >> 3) > 11:
            return nal
        return bytes([nal[0], (nal_unit_type << 3) | (nal[1] & 7)]) + nal[2:]
    return _map_nals(sub, edit)
