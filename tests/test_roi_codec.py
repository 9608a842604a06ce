"""Tests of the ROI substream codec (spec §7.4-7.5): encode_roi / decode_roi through FFmpeg."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage import data

from ssgc_format.errors import FormatError, InputError
from ssgc_format.ycbcr import rgb_to_ycbcr420, ycbcr420_to_rgb
from ssgc_ref.roi_codec import decode_roi, encode_roi

FACE = data.astronaut()[60:108, 190:254]  # 64x48


def _psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255 * 255 / max(mse, 1e-9))


@pytest.mark.parametrize("bd", (8, 10))
def test_round_trip_and_quality(bd):
    sub, rgb = encode_roi(FACE, qp=22, bit_depth=bd)
    assert rgb.shape == FACE.shape and rgb.dtype == np.uint8
    assert np.array_equal(decode_roi(sub, 64, 48, bd), rgb)
    # the loss is the codec's plus the 4:2:0 conversion's (about 41 dB alone here)
    conv = ycbcr420_to_rgb(*rgb_to_ycbcr420(FACE, bd), bd)
    assert _psnr(conv, FACE) > _psnr(rgb, FACE) > 32


def test_lower_qp_costs_more_and_is_closer():
    small, rgb_small = encode_roi(FACE, qp=45)
    big, rgb_big = encode_roi(FACE, qp=25)
    assert len(big) > len(small)
    assert _psnr(rgb_big, FACE) > _psnr(rgb_small, FACE)


@settings(max_examples=6, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 63), st.integers(0, 2**32 - 1))
def test_any_even_size_decodes_to_the_rectangle(hh, wh, qp, seed):
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (2 * hh, 2 * wh, 3)).astype(np.uint8)
    sub, out = encode_roi(rgb, qp=qp)
    assert out.shape == rgb.shape
    assert np.array_equal(decode_roi(sub, 2 * wh, 2 * hh, 8), out)


def test_decoded_size_must_match_rectangle():
    sub, _ = encode_roi(FACE[:16, :24], qp=40)
    with pytest.raises(FormatError, match="rectangle") as e:
        decode_roi(sub, 26, 16, 8)
    assert e.value.chunk == "ROIC"
    with pytest.raises(FormatError, match="bit depth"):
        decode_roi(sub, 24, 16, 10)


@pytest.mark.parametrize("bad", [b"", b"\x00\x00\x00\x01", b"\x00\x00\x01\x00garbage" * 3, bytes(range(256))])
def test_garbage_substreams_raise_format_error(bad):
    with pytest.raises(FormatError) as e:
        decode_roi(bad, 16, 16, 8)
    assert e.value.chunk == "ROIC"


def test_truncated_and_corrupted_substreams_raise_or_decode():
    sub, _ = encode_roi(FACE[:16, :16], qp=30)
    for cut in (4, len(sub) // 2):
        with pytest.raises(FormatError):
            decode_roi(sub[:cut], 16, 16, 8)
    rng = np.random.default_rng(1)
    for _ in range(5):  # flipped bytes: our error or some picture of the right size, never a crash
        b = bytearray(sub)
        i = int(rng.integers(8, len(b)))
        b[i] ^= 0xFF
        try:
            out = decode_roi(bytes(b), 16, 16, 8)
        except FormatError:
            continue
        assert out.shape == (16, 16, 3)


def test_encoder_input_errors():
    with pytest.raises(InputError):
        encode_roi(FACE[:15, :16])
    with pytest.raises(InputError):
        encode_roi(FACE.astype(np.float32))
    with pytest.raises(InputError):
        encode_roi(FACE, qp=30, max_bytes=100)
    with pytest.raises(InputError):
        encode_roi(FACE, bit_depth=12)


def test_byte_budget():
    crop = FACE[:16, :32]
    sub, rgb = encode_roi(crop, max_bytes=120)
    assert len(sub) <= 120
    assert np.array_equal(decode_roi(sub, 32, 16, 8), rgb)
    with pytest.raises(InputError):
        encode_roi(crop, max_bytes=0)


# ---------------------------------------------------------------- §7.4 rule 5: SPS size probe


def _synthetic_sps(width: int, height: int, *, gci: bool, sublayers: int, sub_profiles: int,
                   resampling: bool) -> bytes:
    """An SPS RBSP prefix per H.266 7.3.2.4 / 7.3.3.1 / 7.3.3.2 exercising the optional parts."""
    from ssgc_ref.vvc.bitwriter import BitWriter

    w = BitWriter()
    w.u(4, 0)
    w.u(4, 0)
    w.u(3, sublayers)  # sps_max_sublayers_minus1
    w.u(2, 1)
    w.u(2, 0)
    w.u(1, 1)  # sps_ptl_dpb_hrd_params_present_flag
    w.u(7, 1)
    w.u(1, 0)
    w.u(8, 105)
    w.u(1, 1)
    w.u(1, 0)
    w.u(1, 1 if gci else 0)
    if gci:
        for i in range(71):  # H.266 7.3.3.2: 71 constraint bits; a pattern that would shift a misparse
            w.u(1, i & 1)
        w.u(8, 9)  # gci_num_additional_bits: 6 named + 3 reserved
        w.u(9, 0b101010101)
    w.align_zero()
    for i in range(sublayers):
        w.u(1, 1)  # ptl_sublayer_level_present_flag
    w.align_zero()
    for i in range(sublayers):
        w.u(8, 51)
    w.u(8, sub_profiles)
    for i in range(sub_profiles):
        w.u(32, 0xDEADBEEF)
    w.u(1, 0)  # sps_gdr_enabled_flag
    w.u(1, 1 if resampling else 0)
    if resampling:
        w.u(1, 1)
    w.ue(width)
    w.ue(height)
    w.u(1, 1)  # rbsp stop bit and alignment
    w.align_zero()
    return w.getvalue()


@pytest.mark.parametrize("gci,sublayers,sub_profiles,resampling", [
    (False, 0, 0, False), (True, 0, 0, False), (True, 3, 2, True), (False, 6, 1, True)])
def test_sps_probe_reads_declared_size(gci, sublayers, sub_profiles, resampling):
    from ssgc_ref.vvc.nal import annexb, nal_unit
    from ssgc_ref.vvc.sps_probe import sps_picture_sizes

    rbsp = _synthetic_sps(4096, 2160, gci=gci, sublayers=sublayers, sub_profiles=sub_profiles,
                          resampling=resampling)
    assert sps_picture_sizes(annexb([nal_unit(15, rbsp)])) == [(4096, 2160)]


def test_sps_probe_handles_emulation_prevention_and_real_streams():
    from ssgc_ref.vvc.nal import annexb, nal_unit
    from ssgc_ref.vvc.sps_probe import sps_picture_sizes

    # 0 x 0 sizes put 0x00 0x00 runs in the RBSP that need emulation prevention bytes
    rbsp = _synthetic_sps(0, 0, gci=True, sublayers=0, sub_profiles=1, resampling=False)
    assert sps_picture_sizes(annexb([nal_unit(15, rbsp)])) == [(0, 0)]
    sub, _ = encode_roi(FACE[:18, :26], qp=50, preset="fast")
    assert sps_picture_sizes(sub) == [(32, 24)]


def test_oversized_coded_picture_rejected_before_decoding():
    from ssgc_ref.vvc.nal import annexb, nal_unit

    huge = annexb([nal_unit(15, _synthetic_sps(16384, 16384, gci=False, sublayers=0, sub_profiles=0,
                                               resampling=False))])
    with pytest.raises(FormatError, match="exceeds the ROIC rectangle"):
        decode_roi(huge, 64, 64, 8)
    sub, _ = encode_roi(data.astronaut()[:96, :96], qp=55, preset="fast")  # 96 > 16 + 64
    with pytest.raises(FormatError, match="exceeds"):
        decode_roi(sub, 16, 16, 8)
    without_sps = sub[sub.find(b"\x00\x00\x01", 4) - 1:]  # drop the leading SPS NAL unit
    with pytest.raises(FormatError, match="no sequence parameter set"):
        decode_roi(without_sps, 96, 96, 8)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=60))
def test_sps_probe_fuzz_only_probe_errors(payload):
    from ssgc_ref.vvc.sps_probe import SpsProbeError, sps_picture_sizes

    try:
        sizes = sps_picture_sizes(b"\x00\x00\x01\x00\x79" + payload)  # an SPS NAL header, then noise
    except SpsProbeError:
        return
    assert len(sizes) >= 1 and all(w >= 0 and h >= 0 for w, h in sizes)


# ------------------------------------------- §7.4: GCI, one picture, NAL unit limit (issue 14)


def _face_substream():
    return encode_roi(FACE, qp=40, preset="fast")


def test_stream_with_general_constraints_info_decodes():
    """A conforming stream with gci_present_flag = 1 (71 constraint bits, then 9 more) is read
    right by the probe and decodes to the same picture (the 67-bit probe misread its size)."""
    from conformance.substreams import with_gci
    from ssgc_ref.vvc.sps_probe import sps_picture_sizes, walk_substream

    sub, rgb = _face_substream()
    g = with_gci(sub)
    assert len(g) > len(sub) and sps_picture_sizes(g) == [(64, 48)]
    assert walk_substream(g).pictures == 1
    assert np.array_equal(decode_roi(g, 64, 48, 8), rgb)


def test_gci_cannot_hide_an_oversized_picture():
    from conformance.substreams import with_gci, with_sps_size
    from ssgc_format.errors import LimitError

    sub, _ = _face_substream()
    huge = with_sps_size(with_gci(sub), 16384, 16384)
    with pytest.raises(LimitError, match="exceeds the ROIC rectangle"):
        decode_roi(huge, 64, 48, 8)


def test_two_pictures_are_refused():
    from conformance.substreams import two_pictures

    sub, _ = _face_substream()
    with pytest.raises(FormatError, match="exactly one coded picture") as e:
        decode_roi(two_pictures(sub), 64, 48, 8)
    assert e.value.chunk == "ROIC"


def test_decoder_stops_at_a_second_picture():
    """Behind the structural check, the decode itself refuses a second output picture."""
    from conformance.substreams import two_pictures
    from ssgc_ref.roi_codec import _decode_single_picture

    sub, _ = _face_substream()
    assert _decode_single_picture(sub)[0].shape == (48, 64)
    with pytest.raises(FormatError, match="more than one picture"):
        _decode_single_picture(two_pictures(sub))


@pytest.mark.parametrize("count", [1000, 100_000])
def test_nal_unit_limit(count):
    from conformance.substreams import with_filler_nal_units
    from ssgc_format.errors import LimitError
    from ssgc_ref.roi_codec import max_nal_units

    sub, rgb = _face_substream()
    assert max_nal_units(64, 48) == 64 + 4 * 4
    ok = with_filler_nal_units(sub, max_nal_units(64, 48) - 3)  # 3 NAL units of its own
    assert np.array_equal(decode_roi(ok, 64, 48, 8), rgb)
    with pytest.raises(LimitError, match="NAL units"):
        decode_roi(with_filler_nal_units(sub, count), 64, 48, 8)


def test_non_idr_slice_is_refused():
    from conformance.substreams import TRAIL_NUT, with_vcl_type

    sub, _ = _face_substream()
    with pytest.raises(FormatError, match="not IDR"):
        decode_roi(with_vcl_type(sub, TRAIL_NUT), 64, 48, 8)


@pytest.mark.parametrize("pictures", [2, 1000, 100_000])
def test_many_pictures_refused_before_decoding(pictures):
    """Issue 14: 2, 1000 or 100000 pictures used to be decoded and every frame kept. Now the walk
    refuses them from the NAL unit headers (the NAL unit limit stops it early)."""
    import time

    from ssgc_format.errors import LimitError

    sub, _ = _face_substream()
    t = time.process_time()
    with pytest.raises(FormatError) as e:
        decode_roi(sub * pictures, 64, 48, 8)
    assert time.process_time() - t < 2.0
    if pictures == 2:
        assert "exactly one coded picture" in str(e.value)
    else:
        assert isinstance(e.value, LimitError) and "NAL units" in str(e.value)
