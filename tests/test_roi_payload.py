"""Tests of the ROIC payload syntax (spec §7.2, §7.3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_format.errors import FormatError, SSGCError, UnsupportedError
from ssgc_format.roi import ROIC_HEAD_LENGTH, ROIPayload, build_roi_payload, parse_roi_payload

GOOD = ROIPayload(codec_id=1, x=10, y=20, width=64, height=48, bit_depth=8, substream=b"\x00\x00\x00\x01abc")


def test_layout_is_big_endian():
    b = build_roi_payload(GOOD)
    assert b[:ROIC_HEAD_LENGTH] == bytes([1, 0, 10, 0, 20, 0, 64, 0, 48, 8])
    assert b[ROIC_HEAD_LENGTH:] == GOOD.substream


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200), st.integers(1, 200), st.data())
def test_round_trip(wh, hh, data):
    w, h = 2 * wh, 2 * hh
    img_w = data.draw(st.integers(w, 1000))
    img_h = data.draw(st.integers(h, 1000))
    p = ROIPayload(1, data.draw(st.integers(0, img_w - w)), data.draw(st.integers(0, img_h - h)), w, h,
                   data.draw(st.sampled_from((8, 10))), data.draw(st.binary(min_size=1, max_size=50)))
    assert parse_roi_payload(build_roi_payload(p), img_w, img_h) == p


@pytest.mark.parametrize("n", range(ROIC_HEAD_LENGTH + 1))
def test_truncated(n):
    with pytest.raises(FormatError) as e:
        parse_roi_payload(build_roi_payload(GOOD)[:n], 100, 100)
    assert e.value.chunk == "ROIC"


def _patched(offset, value):
    b = bytearray(build_roi_payload(GOOD))
    b[offset] = value
    return bytes(b)


def test_reserved_codec_is_unsupported():
    for cid in (0, 2, 255):
        with pytest.raises(UnsupportedError):
            parse_roi_payload(_patched(0, cid), 100, 100)


@pytest.mark.parametrize("offset,value,what", [
    (9, 9, "bit_depth"), (9, 0, "bit_depth"), (6, 63, "width"), (8, 0, "height"), (8, 49, "height"),
])
def test_bad_fields(offset, value, what):
    with pytest.raises(FormatError, match=what):
        parse_roi_payload(_patched(offset, value), 100, 100)


def test_rectangle_outside_image():
    b = build_roi_payload(GOOD)
    with pytest.raises(FormatError, match="width"):
        parse_roi_payload(b, 73, 100)
    with pytest.raises(FormatError, match="height"):
        parse_roi_payload(b, 100, 67)
    assert parse_roi_payload(b, 74, 68) == GOOD


def test_build_rejects_bad_payloads():
    from dataclasses import replace
    for bad in (replace(GOOD, substream=b""), replace(GOOD, width=3), replace(GOOD, x=70000),
                replace(GOOD, bit_depth=12)):
        with pytest.raises(FormatError):
            build_roi_payload(bad)
    with pytest.raises(UnsupportedError):
        build_roi_payload(replace(GOOD, codec_id=7))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40), st.integers(1, 600), st.integers(1, 600))
def test_fuzz_only_our_errors(data, w, h):
    try:
        p = parse_roi_payload(data, w, h)
    except SSGCError:
        return
    assert p.x + p.width <= w and p.y + p.height <= h
