"""GENP chunk (spec §8.2)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_format.errors import FormatError, InputError
from ssgc_format.genparams import GENP_LENGTH, GenerationParams, build_genparams, parse_genparams

valid = st.builds(GenerationParams, profile_id=st.integers(0, 65535), seed=st.integers(0, 2**64 - 1),
                  steps=st.integers(1, 1000), strength_permille=st.integers(0, 1000),
                  guidance_q8=st.integers(0, 65535), eta_q8=st.integers(0, 256), flags=st.integers(0, 3))


@settings(max_examples=60, deadline=None)
@given(valid)
def test_round_trip(p):
    data = build_genparams(p)
    assert len(data) == GENP_LENGTH
    assert parse_genparams(data) == p


def test_layout_is_big_endian():
    p = GenerationParams(profile_id=1, seed=0x0102030405060708, steps=200, strength_permille=700,
                         guidance_q8=512, eta_q8=0, flags=1)
    assert build_genparams(p).hex() == "0001" "0102030405060708" "00c8" "02bc" "0200" "0000" "0001"


def test_unknown_profile_parses():
    p = parse_genparams(build_genparams(GenerationParams(profile_id=999)))
    assert p.profile_id == 999


@pytest.mark.parametrize("offset,value", [(10, b"\x00\x00"), (10, b"\x03\xe9"), (12, b"\x03\xe9"),
                                          (16, b"\x01\x01"), (18, b"\x00\x04"), (18, b"\x80\x00")])
def test_bad_fields_are_format_errors(offset, value):
    data = bytearray(build_genparams(GenerationParams()))
    data[offset:offset + 2] = value
    with pytest.raises(FormatError) as e:
        parse_genparams(bytes(data))
    assert e.value.chunk == "GENP"


@pytest.mark.parametrize("n", [0, 19, 21, 40])
def test_wrong_length(n):
    with pytest.raises(FormatError):
        parse_genparams(bytes(n))


@pytest.mark.parametrize("kw", [dict(steps=0), dict(seed=-1), dict(seed=2**64), dict(flags=4),
                                dict(eta_q8=257), dict(strength_permille=1001), dict(steps=True)])
def test_build_rejects(kw):
    with pytest.raises(InputError):
        build_genparams(GenerationParams(**kw))
