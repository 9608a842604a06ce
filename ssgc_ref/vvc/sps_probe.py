"""Walk an H.266 Annex-B stream before decoding it: the structural checks of spec §7.4.

A hostile ROIC substream could declare a huge picture, hold many pictures or many NAL units, and
make the H.266 decoder spend memory and time out of proportion to the ROI. §7.4 bounds all three,
and :func:`walk_substream` measures them from the NAL unit headers and the start of each SPS and
slice, without decoding anything:

* the NAL units of the byte stream (H.266 Annex B.2), counted, stopping past a given limit;
* the picture headers: every PH NAL unit (PH_NUT) and every coded slice whose
  ``sh_picture_header_in_slice_header_flag`` (the first bit of slice_header(), H.266 7.3.7.1) is 1;
  a coded picture has exactly one picture header, so this counts the coded pictures;
* each SPS (SPS_NUT) parsed up to ``sps_pic_height_max_in_luma_samples`` (H.266 7.3.2.4, with
  profile_tier_level() 7.3.3.1 and general_constraints_info() 7.3.3.2).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PH_NUT", "SPS_NUT", "SpsProbeError", "SubstreamWalk", "annexb_nal_units", "walk_substream",
           "sps_picture_sizes"]

SPS_NUT = 15
PH_NUT = 19
VCL_NUT_MAX = 11  # nal_unit_type 0..11 are VCL NAL units (H.266 Table 5)
IDR_NUTS = (7, 8)  # IDR_W_RADL, IDR_N_LP
MAX_SUBLAYERS_MINUS1 = 6  # sps_max_sublayers_minus1 shall be 0..6 (H.266 7.4.3.4)
# general_constraints_info() (H.266 7.3.3.2): after gci_present_flag, 71 bits of constraint flags and
# idc fields come before gci_num_additional_bits: general 3 flags; picture format u(4) + u(2); NAL
# unit types 10 flags; tiles/slices/subpictures 6; CTU and partitioning u(2) + 3; intra 6; inter 16;
# transform/quantization/residual 13; loop filters 6.
GCI_FIXED_BITS = 3 + (4 + 2) + 10 + 6 + (2 + 3) + 6 + 16 + 13 + 6
assert GCI_FIXED_BITS == 71


class SpsProbeError(ValueError):
    """A NAL unit header, SPS or slice header start is truncated or malformed."""


@dataclass(frozen=True)
class SubstreamWalk:
    """What :func:`walk_substream` read: counts and the SPS sizes, nothing decoded."""

    nal_units: int  # NAL units in the stream (at most limit + 1: the walk stops there)
    pictures: int  # picture headers: PH NAL units + slices carrying the picture header
    vcl_types: tuple[int, ...]  # nal_unit_type of every VCL NAL unit, in stream order
    sps_sizes: tuple[tuple[int, int], ...]  # (width, height) max in luma samples of every SPS


def annexb_nal_units(data: bytes, limit: int | None = None) -> list[bytes]:
    """Split an Annex-B byte stream at its 0x000001 start codes (trailing zero bytes dropped).

    With ``limit``, stop after limit + 1 NAL units (enough to know the limit is exceeded)."""
    out: list[bytes] = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        if limit is not None and len(out) > limit:
            break
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


def _general_constraints_info(r: BitReader) -> None:
    """H.266 7.3.3.2, skipped: the fixed fields, then gci_num_additional_bits more, then alignment."""
    if r.u(1):  # gci_present_flag
        r.u(GCI_FIXED_BITS)
        r.u(r.u(8))  # gci_num_additional_bits, then those bits (named or reserved)
    r.align()  # gci_alignment_zero_bit


def _profile_tier_level(r: BitReader, max_sublayers_minus1: int) -> None:
    """H.266 7.3.3.1 with profileTierPresentFlag = 1 (as the SPS calls it)."""
    r.u(7 + 1 + 8 + 1 + 1)  # profile, tier, level, frame_only, multilayer
    _general_constraints_info(r)
    present = [r.u(1) for _ in range(max_sublayers_minus1)]  # ptl_sublayer_level_present_flag
    r.align()  # ptl_reserved_zero_bit
    for p in present:
        if p:
            r.u(8)  # sublayer_level_idc
    for _ in range(r.u(8)):  # ptl_num_sub_profiles
        r.u(32)  # general_sub_profile_idc


def _sps_size(rbsp: bytes) -> tuple[int, int]:
    r = BitReader(rbsp)
    r.u(4 + 4)  # sps_seq_parameter_set_id, sps_video_parameter_set_id
    max_sublayers_minus1 = r.u(3)
    if max_sublayers_minus1 > MAX_SUBLAYERS_MINUS1:
        raise SpsProbeError(f"sps_max_sublayers_minus1 {max_sublayers_minus1} is not 0..6")
    r.u(2 + 2)  # chroma format, log2 CTU size
    if r.u(1):  # sps_ptl_dpb_hrd_params_present_flag
        _profile_tier_level(r, max_sublayers_minus1)
    r.u(1)  # sps_gdr_enabled_flag
    if r.u(1):  # sps_ref_pic_resampling_enabled_flag
        r.u(1)  # sps_res_change_in_clvs_allowed_flag
    return r.ue(), r.ue()


def walk_substream(data: bytes, max_nal_units: int | None = None) -> SubstreamWalk:
    """Count the NAL units and picture headers of an Annex-B stream and read every SPS's size.

    With ``max_nal_units`` the walk stops after max_nal_units + 1 NAL units and parses nothing
    (the caller rejects the stream on the count alone), so its cost is bounded by the limit.
    Raises SpsProbeError for a NAL unit shorter than its 2-byte header, a forbidden_zero_bit of 1,
    a slice NAL unit without a slice header, or a truncated or malformed SPS.
    """
    nals = annexb_nal_units(bytes(data), max_nal_units)
    if max_nal_units is not None and len(nals) > max_nal_units:
        return SubstreamWalk(len(nals), 0, (), ())
    pictures = 0
    vcl: list[int] = []
    sizes: list[tuple[int, int]] = []
    for nal in nals:
        if len(nal) < 2:
            raise SpsProbeError("NAL unit shorter than its 2-byte header")
        if nal[0] & 0x80:
            raise SpsProbeError("forbidden_zero_bit set in a NAL unit header")
        nut = nal[1] >> 3
        if nut <= VCL_NUT_MAX:
            vcl.append(nut)
            if len(nal) < 3:
                raise SpsProbeError("coded slice NAL unit without a slice header")
            pictures += nal[2] >> 7  # sh_picture_header_in_slice_header_flag
        elif nut == PH_NUT:
            pictures += 1
        elif nut == SPS_NUT:
            sizes.append(_sps_size(_rbsp(nal[2:])))
    return SubstreamWalk(len(nals), pictures, tuple(vcl), tuple(sizes))


def sps_picture_sizes(data: bytes) -> list[tuple[int, int]]:
    """(sps_pic_width_max_in_luma_samples, ..._height_...) of every SPS in an Annex-B stream.

    Raises SpsProbeError when an SPS is truncated or malformed."""
    sizes = []
    for nal in annexb_nal_units(bytes(data)):
        if len(nal) >= 2 and (nal[1] >> 3) == SPS_NUT:
            sizes.append(_sps_size(_rbsp(nal[2:])))
    return sizes
