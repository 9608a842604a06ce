"""Generation parameters (spec §8.2): bit-packed fields with default flags, canonical seed sizes."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_format.bitio import BitWriter
from ssgc_format.errors import FormatError, InputError, UnsupportedError
from ssgc_format.genparams import GEN_FIELDS, GenerationParams, build_genparams, parse_genparams, seed_size

valid = st.builds(GenerationParams, profile_id=st.integers(0, 65535),
                  seed=st.one_of(st.integers(0, 2**16), st.integers(0, 2**64 - 1)),
                  steps=st.integers(1, 1000), strength_permille=st.integers(0, 1000),
                  guidance_q8=st.integers(0, 65535), eta_q8=st.integers(0, 256), flags=st.integers(0, 3),
                  sampler=st.integers(0, 1)).filter(lambda p: not (p.sampler == 1 and p.eta_q8))


@settings(max_examples=200, deadline=None)
@given(valid)
def test_round_trip(p):
    data = build_genparams(p)
    assert parse_genparams(data) == p
    explicit = [(n, b) for n, b, d in GEN_FIELDS if getattr(p, n) != d]
    bits = 1 + (len(GEN_FIELDS) + sum(b for _, b in explicit) if explicit else 0) + 2 + (0, 16, 32, 64)[seed_size(p.seed)]
    assert len(data) == (bits + 7) // 8  # defaults cost one bit each, nothing more


def test_defaults_cost_one_bit_and_the_seed():
    assert build_genparams(GenerationParams()) == bytes([0b1_00_00000])  # gen_default, seed_size 0
    assert build_genparams(GenerationParams(seed=0xABCD)).hex() == "b579a0"  # 1 01 abcd 00000
    assert build_genparams(GenerationParams(steps=8)).hex() == "6023c0"  # 0 1 1 0 0000001000 1111 00 0000


def test_unknown_profile_parses():
    assert parse_genparams(build_genparams(GenerationParams(profile_id=999))).profile_id == 999


def _explicit(**fields: int) -> bytes:
    w = BitWriter()
    w.flag(False)
    for name, bits, _ in GEN_FIELDS:
        w.flag(name not in fields)
        if name in fields:
            w.u(fields[name], bits)
    w.u(0, 2)
    return w.to_bytes()


@pytest.mark.parametrize("fields, error, match", [
    (dict(steps=0), FormatError, "steps"), (dict(steps=1001), FormatError, "steps"),
    (dict(strength_permille=1001), FormatError, "strength"), (dict(eta_q8=257), FormatError, "eta"),
    (dict(flags=4), FormatError, "reserved"), (dict(flags=8), FormatError, "reserved"),
    (dict(sampler=2), UnsupportedError, "sampler"), (dict(sampler=15), UnsupportedError, "sampler"),
    (dict(steps=200), FormatError, "canonical"), (dict(), FormatError, "canonical"),
])
def test_bad_fields(fields, error, match):
    with pytest.raises(error, match=match):
        parse_genparams(_explicit(**fields))


def test_seed_sizes_are_canonical():
    for seed, size in ((0, 0), (1, 1), (65535, 1), (65536, 2), (2**32 - 1, 2), (2**32, 3), (2**64 - 1, 3)):
        assert seed_size(seed) == size
    w = BitWriter()
    w.flag(True)
    w.u(2, 2)
    w.u(5, 32)  # seed 5 in 32 bits
    with pytest.raises(FormatError, match="canonical"):
        parse_genparams(w.to_bytes())


@pytest.mark.parametrize("data", [b"", b"\x80\x00", bytes([0b1_01_00000])])
def test_wrong_length(data):
    with pytest.raises(FormatError):
        parse_genparams(data)


@pytest.mark.parametrize("kw", [dict(steps=0), dict(seed=-1), dict(seed=2**64), dict(flags=4),
                                dict(eta_q8=257), dict(strength_permille=1001), dict(steps=True),
                                dict(sampler=2)])
def test_build_rejects(kw):
    with pytest.raises(InputError):
        build_genparams(GenerationParams(**kw))


def test_sampler_1_is_deterministic():
    """§8.2 / §8.10: eta_q8 != 0 with sampler 1 is refused when written and when read."""
    p = GenerationParams(sampler=1, steps=40, eta_q8=64)
    assert any("deterministic" in m for m in p.problems())
    with pytest.raises(InputError):
        build_genparams(p)
