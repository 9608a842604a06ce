"""Portable noise (spec Annex C): Philox KATs, a scalar re-implementation, golden hashes."""

import hashlib
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_format.errors import InputError
from ssgc_format.noise import gaussian_noise, gaussian_pairs, philox4x32_10

# Random123 kat_vectors, philox4x32 10: counter (4 words), key (2 words) -> output (4 words).
KATS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("ctr,key,expected", KATS)
def test_philox_known_answers(ctr, key, expected):
    assert tuple(int(w) for w in philox4x32_10(*ctr, *key)) == expected


# --- a scalar transcription of Annex C with Python ints and floats (IEEE binary64) -------------
M32 = 0xFFFFFFFF


def _philox_scalar(c, k):
    c, k = list(c), list(k)
    for r in range(10):
        if r:
            k = [(k[0] + 0x9E3779B9) & M32, (k[1] + 0xBB67AE85) & M32]
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k[0], p1 & M32, (p0 >> 32) ^ c[3] ^ k[1], p0 & M32]
    return c


def _gauss_pair_scalar(seed, block, stream, consts=None):
    ln2, sqrt2, halfpi30 = consts or (float.fromhex("0x1.62e42fefa39efp-1"), float.fromhex("0x1.6a09e667f3bcdp+0"),
                                       float.fromhex("0x1.921fb54442d18p-30"))
    w = _philox_scalar([block & M32, block >> 32, stream & M32, stream >> 32], [seed & M32, seed >> 32])
    k = ((w[0] >> 5) << 26) + (w[1] >> 6) + 1  # 1..2^53
    # ln u, u = k * 2^-53: exact reduction with integers (C.3 step 2)
    n = k.bit_length()
    m = k / float(1 << (n - 1))  # exact: m in [1, 2)
    e = n - 1 - 53
    if m >= sqrt2:
        m, e = m / 2.0, e + 1
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    p = 1.0 / 23.0
    for j in range(10, -1, -1):
        p = z * p
        p = p + 1.0 / (2 * j + 1)
    ln_u = float(e) * ln2 + (s * p) * 2.0
    r = math.sqrt(ln_u * -2.0)
    q, f = w[2] >> 30, w[2] & ((1 << 30) - 1)
    phi = float(f) * halfpi30
    y = phi * phi
    ts = tc = 1.0
    for j in range(13, 0, -1):
        ts = 1.0 - (y * ts) / float(2 * j * (2 * j + 1))
        tc = 1.0 - (y * tc) / float((2 * j - 1) * 2 * j)
    sn, cs = phi * ts, tc
    cos_t, sin_t = [(cs, sn), (-sn, cs), (-cs, -sn), (sn, -cs)][q]
    return r * cos_t, r * sin_t


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**64 - 1), block=st.integers(0, 2**40), stream=st.integers(0, 2**64 - 1))
def test_vectorised_equals_scalar_transcription(seed, block, stream):
    v = gaussian_pairs(seed, block, 1, stream)[0]
    assert tuple(float(x) for x in v) == _gauss_pair_scalar(seed, block, stream)


def test_transform_close_to_libm():
    pairs = gaussian_pairs(7, 0, 20000, 3)
    # recompute with libm from the same uniforms: the series are accurate to ~1e-15
    w0, w1, w2, _ = philox4x32_10(np.arange(20000), 0, 3, 0, 7, 0)
    u = ((((w0 >> np.uint64(5)) << np.uint64(26)) + (w1 >> np.uint64(6)) + np.uint64(1)).astype(float)) * 2.0**-53
    theta = w2.astype(float) * (2 * math.pi / 2**32)
    r = np.sqrt(-2 * np.log(u))
    np.testing.assert_allclose(pairs[:, 0], r * np.cos(theta), atol=1e-12)
    np.testing.assert_allclose(pairs[:, 1], r * np.sin(theta), atol=1e-12)


GOLDEN = [
    (0, (8,), 0, "c7cfe5cf319f95dd22a80ba82c1f03ce9194b045866b16ba33c7ca00523463f8"),
    (42, (3, 128, 128), 0, "59adb8c8349804902817b75117eddf841b2745652548fa7c7249907de1657191"),
    (2**64 - 1, (3, 17, 5), 7, "c8b0f2eb397fc0f8146912932af328223723cbf5f857e52753d34dc59b6c97ae"),
    (12345, (1000,), 1001, "701548c3db5d45b9be1fe3ec0785aae002a978e1b55a38b1582f9979b03a83c9"),
]


@pytest.mark.parametrize("seed,shape,stream,digest", GOLDEN)
def test_golden_hashes(seed, shape, stream, digest):
    z = gaussian_noise(seed, shape, stream)
    assert z.dtype == np.float32 and z.shape == shape
    assert hashlib.sha256(z.astype("<f4").tobytes()).hexdigest() == digest


def test_first_values_bit_patterns():
    # Annex C.6 test vector: seed 0, stream 0, first 8 values as float32 bit patterns
    bits = gaussian_noise(0, (8,)).view(np.uint32).tolist()
    assert bits == [0xBDF8DE6B, 0xBFACCDDF, 0xBDA7ADAA, 0xBE640DD7, 0x3FE361DF, 0x400B1AF7, 0xBF0C1EBF, 0xBED8563C]


def test_prefix_property_and_streams_differ():
    big = gaussian_noise(5, (101,))
    assert np.array_equal(gaussian_noise(5, (37,)), big[:37])
    assert not np.array_equal(gaussian_noise(5, (37,), stream=1), big[:37])
    assert not np.array_equal(gaussian_noise(6, (37,)), big[:37])


def test_moments():
    z = gaussian_noise(99, (400_000,)).astype(np.float64)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert abs((z**3).mean()) < 0.03 and abs((z**4).mean() - 3) < 0.05


@pytest.mark.parametrize("seed,shape,stream", [(-1, (2,), 0), (2**64, (2,), 0), (0, (2,), -3),
                                               (0, (-1, 2), 0), (0, (2**16, 2**16), 0), (1.5, (2,), 0)])
def test_bad_arguments(seed, shape, stream):
    with pytest.raises(InputError):
        gaussian_noise(seed, shape, stream)


# --- the constants as the spec prints them (issue 8: HALFPI_30 was printed as pi * 2^-32) -------

def _spec_constants():
    import re
    import struct
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "spec" / "annex-c-noise.md").read_text("utf-8")
    out = []
    for name in ("LN2", "SQRT2", "HALFPI_30"):
        m = re.search(rf"^\s*{name}\s*=\s*0x([0-9A-Fa-f]{{16}})", text, re.M)
        assert m, f"{name} not found in Annex C.3"
        out.append(struct.unpack(">d", bytes.fromhex(m.group(1)))[0])
    return tuple(out)


def test_spec_constants_are_the_codes_and_the_named_reals():
    import math

    from ssgc_format import noise

    ln2, sqrt2, halfpi30 = _spec_constants()
    assert (ln2, sqrt2, halfpi30) == (noise._LN2, noise._SQRT2, noise._HALF_PI_2M30)
    assert ln2 == math.log(2) and sqrt2 == math.sqrt(2) and halfpi30 == (math.pi / 2) * 2.0**-30


def test_spec_text_reproduces_the_c6_values():
    """A decoder transcribing Annex C.3's printed constants gets C.6's first values."""
    consts = _spec_constants()
    vals = [v for b in range(4) for v in _gauss_pair_scalar(0, b, 0, consts)]
    bits = np.array(vals, dtype=np.float64).astype(np.float32).view(np.uint32).tolist()
    assert bits == [0xBDF8DE6B, 0xBFACCDDF, 0xBDA7ADAA, 0xBE640DD7, 0x3FE361DF, 0x400B1AF7, 0xBF0C1EBF, 0xBED8563C]


def test_noise_vectors_file():
    import json
    from pathlib import Path

    doc = json.loads((Path(__file__).resolve().parents[1] / "conformance" / "noise_vectors.json").read_text())
    assert len(doc["vectors"]) >= 6
    for v in doc["vectors"]:
        z = gaussian_noise(int(v["seed"]), tuple(v["shape"]), int(v["stream"]))
        assert [f"{b:08x}" for b in z.reshape(-1)[:8].view(np.uint32).tolist()] == v["first_bits"]
        assert hashlib.sha256(z.astype("<f4").tobytes()).hexdigest() == v["sha256"]
    with_wrong_constant = _gauss_pair_scalar(0, 0, 0, (_spec_constants()[0], _spec_constants()[1],
                                                      struct_double("3E0921FB54442D18")))
    assert np.float32(with_wrong_constant[0]).view(np.uint32) != 0xBDF8DE6B  # the vector catches it


def struct_double(hex16):
    import struct

    return struct.unpack(">d", bytes.fromhex(hex16))[0]
