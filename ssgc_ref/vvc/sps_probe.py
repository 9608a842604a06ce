"""Read the picture size an H.266 stream declares, before decoding it (spec §7.4 rule 5).

A hostile ROIC substream could declare a huge picture and make the decoder allocate for it; §7.4
bounds the coded size by the ROIC rectangle, and :func:`sps_picture_sizes` lets a decoder check that
bound first. It parses each SPS NAL unit (nal_unit_type 15) of an Annex-B stream only up to
sps_pic_height_max_in_luma_samples (H.266 7.3.2.4, with profile_tier_level 7.3.3.1 and
general_constraints_info 7.3.3.2).
"""

from __future__ import annotations

__all__ = ["SPS_NUT", "SpsProbeError", "annexb_nal_units", "sps_picture_sizes"]

SPS_NUT = 15
_GCI_FIXED_BITS = 67  # gci flags and the two 2-bit idc fields between gci_present_flag and gci_num_additional_bits


class SpsProbeError(ValueError):
    """The SPS is truncated or malformed."""


def annexb_nal_units(data: bytes) -> list[bytes]:
    """Split an Annex-B byte stream at its 0x000001 start codes (trailing zero bytes dropped)."""
    out = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        start = i + 3
        j = data.find(b"\x00\x00\x01", start)
        nal = data[start:] if j < 0 else data[start:j]
        out.append(nal.rstrip(b"\x00"))
        i = j
    return out


def _rbsp(nal_payload: bytes) -> bytes:
    """Remove emulation_prevention_three_byte (0x000003 -> 0x0000)."""
    out = bytearray()
    zeros = 0
    for b in nal_payload:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


class BitReader:
    """u(n), ue(v) and se(v) of H.266 7.2, most significant bit first; SpsProbeError past the end."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def u(self, n: int) -> int:
        if self.pos + n > 8 * len(self.data):
            raise SpsProbeError("SPS truncated")
        v = 0
        for _ in range(n):
            v = (v << 1) | ((self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return v

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise SpsProbeError("SPS exp-Golomb code longer than 32 bits")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)

    def align(self) -> None:
        self.pos = (self.pos + 7) & ~7


def _profile_tier_level(r: BitReader, max_sublayers_minus1: int) -> None:
    r.u(7 + 1 + 8 + 1 + 1)  # profile, tier, level, frame_only, multilayer
    if r.u(1):  # gci_present_flag
        r.u(_GCI_FIXED_BITS)
        n = r.u(8)  # gci_num_additional_bits
        r.u(n)
    r.align()  # gci_alignment_zero_bit
    present = [r.u(1) for _ in range(max_sublayers_minus1)]
    r.align()  # ptl_reserved_zero_bit
    for p in present:
        if p:
            r.u(8)
    for _ in range(r.u(8)):  # ptl_num_sub_profiles
        r.u(32)


def _sps_size(rbsp: bytes) -> tuple[int, int]:
    r = BitReader(rbsp)
    r.u(4 + 4)  # sps_seq_parameter_set_id, sps_video_parameter_set_id
    max_sublayers_minus1 = r.u(3)
    r.u(2 + 2)  # chroma format, log2 CTU size
    if r.u(1):  # sps_ptl_dpb_hrd_params_present_flag
        _profile_tier_level(r, max_sublayers_minus1)
    r.u(1)  # sps_gdr_enabled_flag
    if r.u(1):  # sps_ref_pic_resampling_enabled_flag
        r.u(1)  # sps_res_change_in_clvs_allowed_flag
    return r.ue(), r.ue()


def sps_picture_sizes(data: bytes) -> list[tuple[int, int]]:
    """(sps_pic_width_max_in_luma_samples, ..._height_...) of every SPS in an Annex-B stream.

    Raises SpsProbeError when an SPS is truncated or malformed."""
    sizes = []
    for nal in annexb_nal_units(bytes(data)):
        if len(nal) >= 2 and (nal[1] >> 3) == SPS_NUT:
            sizes.append(_sps_size(_rbsp(nal[2:])))
    return sizes
