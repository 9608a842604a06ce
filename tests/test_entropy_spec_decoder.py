"""The §3 pseudo-code (conformance/reference_range_coder.py, pure integer Python) against
ssgc_format.entropy (constriction): same symbols from every payload, same bytes from every
symbol sequence. This is what makes spec clause 3 and the reference implementation one thing.

It proves in particular that a table ``f`` passed to constriction as ``Categorical(f - 1,
perfect=False)`` is exactly ``f``: the spec decoder uses ``f`` itself and must agree symbol for
symbol on long streams, frequencies of 1 included.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import constriction

from conformance.reference_range_coder import (
    AdaptiveCounts,
    SpecDecodeError,
    SpecRangeDecoder,
    SpecRangeEncoder,
    StaticTable,
    bytes_from_words,
    cumulative,
    quantize,
    words_from_bytes,
)
from ssgc_format.entropy import AdaptiveModel, RangeDecoder, RangeEncoder, StaticModel
from ssgc_format.errors import FormatError

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# A "program" is a list of operations coded in order; each runs identically on the reference
# (constriction) side and on the spec side, which use separate model objects.

@st.composite
def skewed_counts(draw, min_n=2, max_n=300):
    n = draw(st.integers(min_n, max_n))
    # Mostly zeros and small values plus a few huge ones: tables full of frequencies of 1.
    pool = st.sampled_from([0, 0, 0, 1, 2, 7, 100, 5000, 1 << 16])  # total <= 2^25
    return draw(st.lists(pool, min_size=n, max_size=n))


@st.composite
def programs(draw, max_ops=250):
    static_counts = draw(skewed_counts())
    n_ad = draw(st.integers(2, 300))
    increment = draw(st.integers(1, 64))
    limit = draw(st.integers(max(increment + 1, n_ad), 1 << 12))
    adaptive = (n_ad, increment, limit)
    ops = []
    length = draw(st.integers(0, max_ops))  # an explicit length: plain lists come out short
    kinds = draw(st.lists(st.sampled_from("sabm"), min_size=length, max_size=length))
    for kind in kinds:
        if kind == "s":  # static: favour the likeliest symbol, sometimes any
            n = len(static_counts)
            ops.append(("s", draw(st.sampled_from([static_counts.index(max(static_counts)),
                                                   draw(st.integers(0, n - 1))]))))
        elif kind == "a":  # adaptive: a few frequent symbols, so the counts skew and halve
            ops.append(("a", draw(st.sampled_from([0, 1, n_ad - 1, draw(st.integers(0, n_ad - 1))]))))
        else:
            nbits = draw(st.integers(1, 64))
            ops.append(("b", draw(st.integers(0, (1 << nbits) - 1)), nbits))
    return static_counts, adaptive, ops


def encode_program(prog):
    """(payload bytes from ssgc_format.entropy, words from the spec encoder, carries)."""
    static_counts, (n_ad, inc, limit), ops = prog
    enc, spec = RangeEncoder(), SpecRangeEncoder()
    sm, am = StaticModel(static_counts), AdaptiveModel(n_ad, increment=inc, limit=limit)
    st_, at = StaticTable(static_counts), AdaptiveCounts(n_ad, increment=inc, limit=limit)
    for op in ops:
        if op[0] == "s":
            enc.encode(op[1], sm)
            spec.encode_with(op[1], st_)
        elif op[0] == "a":
            enc.encode(op[1], am)
            spec.encode_with(op[1], at)
        else:
            enc.encode_bits(op[1], op[2])
            spec.encode_bits(op[1], op[2])
    old = bytes_from_words(spec.finish())
    data = spec.finish_bytes()
    assert len(data) <= len(old)  # the 2.0 termination never costs more than the word flush
    assert spec_decode_program(prog, words_from_bytes(old)) == prog[2]
    return enc.to_bytes(), data, spec.carries


def spec_decode_program(prog, words):
    static_counts, (n_ad, inc, limit), ops = prog
    dec = SpecRangeDecoder(words)
    st_, at = StaticTable(static_counts), AdaptiveCounts(n_ad, increment=inc, limit=limit)
    out = []
    for op in ops:
        if op[0] == "s":
            out.append(("s", dec.decode_with(st_)))
        elif op[0] == "a":
            out.append(("a", dec.decode_with(at)))
        else:
            out.append(("b", dec.decode_bits(op[2]), op[2]))
    return out


def ref_decode_program(prog, data):
    static_counts, (n_ad, inc, limit), ops = prog
    dec = RangeDecoder(data, chunk="TEST")
    sm, am = StaticModel(static_counts), AdaptiveModel(n_ad, increment=inc, limit=limit)
    out = []
    for op in ops:
        if op[0] == "s":
            out.append(("s", dec.decode(sm)))
        elif op[0] == "a":
            out.append(("a", dec.decode(am)))
        else:
            out.append(("b", dec.decode_bits(op[2]), op[2]))
    return out


@SETTINGS
@given(programs())
def test_spec_decoder_reads_constriction_streams(prog):
    data, spec_words, _ = encode_program(prog)
    assert spec_decode_program(prog, words_from_bytes(data)) == prog[2]
    # and the informative encoder of §3.2.1 writes exactly the reference encoder's bytes
    assert spec_words == data


@SETTINGS
@given(programs(max_ops=120), st.integers(1, 9))
def test_zero_bytes_after_the_stream_change_nothing(prog, extra):
    """§3.7 item 1: bytes past the end read as zeros, so appended zero bytes decode the same
    symbols in the spec decoder; the reference decoder refuses them (a payload never ends with
    a zero byte, §3.6)."""
    data, _, _ = encode_program(prog)
    assert not data or data[-1] != 0
    assert spec_decode_program(prog, words_from_bytes(data + bytes(extra))) == prog[2]
    with pytest.raises(FormatError, match="zero byte"):
        RangeDecoder(data + bytes(extra), chunk="TEST")


def test_one_word_payload_needs_reads_past_the_end():
    """One symbol of a 2-symbol model: a 1-byte payload; init_decoder reads two words."""
    enc = RangeEncoder()
    enc.encode(1, StaticModel([1, 1]))
    data = enc.to_bytes()
    assert data == b"\x80"  # the code point 2^63 (then zeros) lies in the upper half
    dec = SpecRangeDecoder(words_from_bytes(data))
    assert dec.decode(quantize([1, 1])) == 1
    assert RangeDecoder(data, chunk="TEST").decode(StaticModel([1, 1])) == 1


def test_empty_stream_is_empty_payload():
    assert RangeEncoder().to_bytes() == b""
    assert SpecRangeEncoder().finish() == [] and SpecRangeEncoder().finish_bytes() == b""
    dec = SpecRangeDecoder([])
    assert [dec.decode(quantize([3, 1, 2])) for _ in range(4)] == [0, 0, 0, 0]


def _random_table(rng: random.Random, n: int) -> list[int]:
    """An arbitrary table (not from quantize): many frequencies of 1, random split of the rest."""
    cuts = sorted(rng.sample(range(1, (1 << 24) - n + 1), rng.randint(0, min(n - 1, 5))))
    f = [1] * n
    bounds = [0] + cuts + [(1 << 24) - n]
    for a, b in zip(bounds, bounds[1:]):
        f[rng.randrange(n)] += b - a
    assert sum(f) == 1 << 24 and min(f) >= 1
    return f


@pytest.mark.parametrize("seed", range(6))
def test_f_minus_one_trick_gives_exactly_the_table(seed):
    """Categorical(f - 1, perfect=False) is f: the spec decoder, which uses f itself, reads
    back every symbol of a long stream, symbols of frequency 1 included."""
    rng = random.Random(seed)
    n = rng.choice([2, 3, 17, 300, 4096])
    f = _random_table(rng, n)
    model = constriction.stream.model.Categorical(np.array(f, dtype=np.float64) - 1, perfect=False)
    rare = [s for s in range(n) if f[s] == 1][:20]
    symbols = [rng.choice(rare) if rare and rng.random() < 0.05 else
               rng.choices(range(n), weights=f)[0] for _ in range(3000)]
    enc = constriction.stream.queue.RangeEncoder()
    spec = SpecRangeEncoder()
    C = cumulative(f)
    for s in symbols:
        enc.encode(s, model)
        spec.encode(s, f, C)
    words = enc.get_compressed().tolist()
    assert words == spec.finish()
    dec = SpecRangeDecoder(words)
    assert [dec.decode(f, C) for _ in symbols] == symbols


def test_carries_are_exercised():
    """The carry path of §3.2.1 occurs and still matches constriction byte for byte."""
    rng = random.Random(7)
    counts = [1 << 20, 1, 1, 3]
    enc, spec, table = RangeEncoder(), SpecRangeEncoder(), StaticTable(counts)
    model = StaticModel(counts)
    symbols = [0 if rng.random() < 0.97 else rng.randrange(4) for _ in range(20000)]
    for s in symbols:
        enc.encode(s, model)
        spec.encode_with(s, table)
    assert spec.carries > 0
    assert spec.finish_bytes() == enc.to_bytes()
    dec = SpecRangeDecoder(words_from_bytes(enc.to_bytes()))
    assert [dec.decode_with(table) for _ in symbols] == symbols


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=48).map(lambda b: b.rstrip(b"\0")), skewed_counts(max_n=40),
       st.integers(1, 40))
def test_garbage_decodes_identically_or_fails_at_the_same_symbol(data, counts, num):
    """On ANY payload the two decoders agree: same symbols, and the error (q >= 2^24) at the
    same symbol; the reference raises it as FormatError."""
    f = quantize(counts)
    spec, ref = SpecRangeDecoder(words_from_bytes(data)), RangeDecoder(data, chunk="TEST")
    model = StaticModel(counts)
    for _ in range(num):
        try:
            expected = spec.decode(f)
        except SpecDecodeError:
            with pytest.raises(FormatError):
                ref.decode(model)
            return
        assert ref.decode(model) == expected


def test_invalid_first_words_are_an_error_in_both():
    """value >= scale * 2^24 at the first symbol: q = 2^24."""
    data = bytes.fromhex("ffffffff ff")  # then zeros
    with pytest.raises(SpecDecodeError):
        SpecRangeDecoder(words_from_bytes(data)).decode(quantize([1, 1]))
    with pytest.raises(FormatError):
        RangeDecoder(data, chunk="TEST").decode(StaticModel([1, 1]))
    # one less is the largest valid value: the last symbol
    ok = bytes.fromhex("ffffffff feffffff")
    assert SpecRangeDecoder(words_from_bytes(ok)).decode(quantize([1, 1])) == 1
    assert RangeDecoder(ok, chunk="TEST").decode(StaticModel([1, 1])) == 1


@settings(max_examples=40, deadline=None)
@given(skewed_counts(), st.data())
def test_error_inside_the_stream_at_the_same_symbol(counts, data):
    """A code point at the very top of symbol s's interval: s decodes, then the next symbol
    falls in the part of the interval no table covers (q >= 2^24) in both decoders."""
    f = quantize(counts)
    C = cumulative(f)
    s = data.draw(st.integers(0, len(f) - 1))
    scale0 = ((1 << 64) - 1) >> 24
    value0 = scale0 * C[s + 1] - 1  # range after s is scale0 * f[s] >= 2^40: no renormalisation
    payload = bytes_from_words([value0 >> 32, value0 & 0xFFFFFFFF]).rstrip(b"\0")
    spec, ref, model = SpecRangeDecoder(words_from_bytes(payload)), RangeDecoder(payload, chunk="TEST"), StaticModel(counts)
    assert spec.decode(f, C) == s
    assert ref.decode(model) == s
    with pytest.raises(SpecDecodeError):
        spec.decode(f, C)
    with pytest.raises(FormatError):
        ref.decode(model)


@pytest.mark.parametrize("seed", range(2))
def test_long_mixed_stream(seed):
    """A few thousand operations of every kind in one stream, both directions."""
    rng = random.Random(seed)
    counts = [rng.choice([0, 0, 1, 30, 1 << 16]) for _ in range(rng.randint(50, 300))]
    n_ad = rng.randint(2, 300)
    ops = []
    for _ in range(4000):
        r = rng.random()
        if r < 0.4:
            ops.append(("s", rng.choices(range(len(counts)), weights=[c + 1 for c in counts])[0]))
        elif r < 0.8:
            ops.append(("a", min(int(rng.expovariate(0.5)), n_ad - 1)))
        else:
            nbits = rng.randint(1, 64)
            ops.append(("b", rng.getrandbits(nbits), nbits))
    prog = (counts, (n_ad, 32, 1 << 16), ops)
    data, spec_bytes, _ = encode_program(prog)
    assert spec_bytes == data
    assert spec_decode_program(prog, words_from_bytes(data)) == ops
