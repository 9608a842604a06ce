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
