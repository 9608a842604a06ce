"""NAL unit framing for H.266: nal_unit_header() (§7.3.1.2), emulation prevention (§7.4.2) and
Annex-B byte-stream start codes (Annex B)."""

from __future__ import annotations

VPS_NUT = 14
SPS_NUT = 15
PPS_NUT = 16
IDR_N_LP = 8


def emulation_prevention(rbsp: bytes) -> bytes:
    """Insert emulation_prevention_three_byte (0x03) after every 0x0000 followed by a byte <= 3,
    and after a trailing 0x00 (so the NAL unit never ends with a zero byte)."""
    out = bytearray()
    zeros = 0
    for b in rbsp:
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    if out and out[-1] == 0:
        out.append(3)
    return bytes(out)


def nal_unit(nal_unit_type: int, rbsp: bytes, *, layer_id: int = 0, temporal_id: int = 0) -> bytes:
    """One NAL unit: 2-byte header (forbidden_zero_bit, nuh_reserved_zero_bit, nuh_layer_id u(6),
    nal_unit_type u(5), nuh_temporal_id_plus1 u(3)) then the escaped RBSP."""
    if not 0 <= nal_unit_type < 32:
        raise ValueError(f"nal_unit_type {nal_unit_type}")
    b0 = layer_id & 0x3F
    b1 = (nal_unit_type << 3) | (temporal_id + 1)
    return bytes([b0, b1]) + emulation_prevention(rbsp)


def annexb(nal_units: list[bytes]) -> bytes:
    """Annex-B byte stream (one access unit): a 4-byte start code 00 00 00 01 (zero_byte +
    start_code_prefix_one_3bytes) before the first NAL unit and every parameter set, where B.2
    requires the zero_byte, a 3-byte 00 00 01 before the others."""
    out = bytearray()
    for i, n in enumerate(nal_units):
        zero_byte = i == 0 or (n[1] >> 3) in (VPS_NUT, SPS_NUT, PPS_NUT)
        out += (b"\x00\x00\x00\x01" if zero_byte else b"\x00\x00\x01") + n
    return bytes(out)
