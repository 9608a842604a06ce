"""ssgc_format.entropy: round trips, the table rule of spec §3.3, adaptive models (§3.4), raw bits
(§3.5), payload errors (§3.6, §3.7) and a golden vector (§3.8) that fails if constriction's
output changes."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.reference_range_coder import (
    AdaptiveCounts,
    SpecRangeDecoder,
    StaticTable,
    words_from_bytes,
)
from ssgc_format.entropy import (
    MAX_ALPHABET,
    MAX_TOTAL_COUNT,
    TOTAL,
    AdaptiveModel,
    RangeDecoder,
    RangeEncoder,
    StaticModel,
    quantize_frequencies,
)
from ssgc_format.errors import FormatError, LimitError

SETTINGS = settings(max_examples=30, deadline=None)

counts_lists = st.integers(2, 400).flatmap(
    lambda n: st.lists(st.one_of(st.just(0), st.integers(0, 5), st.integers(0, 80000)),
                       min_size=n, max_size=n))


# §3.3 -----------------------------------------------------------------------------------------

@SETTINGS
@given(counts_lists)
def test_quantize_properties(counts):
    f = quantize_frequencies(counts)
    n = len(counts)
    assert f.dtype == np.int64 and f.shape == (n,)
    assert int(f.sum()) == TOTAL
    assert int(f.min()) >= 1
    c = np.array(counts) if sum(counts) else np.ones(n, dtype=np.int64)
    # monotone: a smaller count never gets a larger frequency
    order = np.argsort(c, kind="stable")
    assert all(f[order[i]] <= f[order[j]] for i, j in zip(range(n - 1), range(1, n))
               if c[order[i]] < c[order[j]])
    # the remainder rule: the floor part everywhere, the rest on the first largest count
    base = 1 + (c * (TOTAL - n)) // int(c.sum())
    m = int(np.argmax(c))
    r = TOTAL - int(base.sum())
    assert 0 <= r < n
    expected = base.copy()
    expected[m] += r
    assert f.tolist() == expected.tolist()


def test_quantize_examples():
    assert quantize_frequencies([1, 1]).tolist() == [1 << 23, 1 << 23]
    assert quantize_frequencies([0, 0, 0]).tolist() == quantize_frequencies([1, 1, 1]).tolist()
    # n = 3: 1 + (2^24 - 3) // 3 = 5592405 each, remainder 1 on symbol 0
    assert quantize_frequencies([1, 1, 1]).tolist() == [5592406, 5592405, 5592405]
    # ties: the remainder goes to the lowest index among the largest counts
    f = quantize_frequencies([2, 7, 7, 0])
    assert f[1] > f[2] and f[3] == 1
    assert quantize_frequencies([5, 1, 2]).tolist() == [10485760, 2097152, 4194304]
    # the uniform table of 2^w symbols is exactly 2^(24 - w) each (§3.3, §3.5)
    for w in (1, 5, 16):
        assert set(StaticModel.uniform(1 << w).frequencies.tolist()) == {1 << (24 - w)}


@pytest.mark.parametrize("counts", [[1], [], [1, -1], [[1, 2]], [0] * (MAX_ALPHABET + 1),
                                    [MAX_TOTAL_COUNT, 1]])
def test_quantize_rejects(counts):
    with pytest.raises(ValueError):
        quantize_frequencies(counts)


def test_quantize_accepts_the_largest_total():
    f = quantize_frequencies([MAX_TOTAL_COUNT - 1, 1])
    assert int(f.sum()) == TOTAL and f[1] == 1


# §3.4 -----------------------------------------------------------------------------------------

def test_adaptive_halving_example():
    m = AdaptiveModel(3, init=[0, 3, 4], increment=4, limit=12)
    m.update(2)  # 0 3 8 = 11
    assert list(m.counts) == [0, 3, 8]
    m.update(2)  # 0 3 12 = 15 > 12: halve rounding up, zero stays zero
    assert list(m.counts) == [0, 2, 6]
    assert m.frequencies.tolist() == quantize_frequencies([0, 2, 6]).tolist()


@SETTINGS
@given(st.integers(2, 300), st.integers(1, 100), st.data())
def test_adaptive_counts_follow_the_rule(n, increment, data):
    limit = data.draw(st.integers(max(n, increment + 1), 1 << 14))
    m = AdaptiveModel(n, increment=increment, limit=limit)
    c = [1] * n
    for s in data.draw(st.lists(st.integers(0, n - 1), max_size=200)):
        m.update(s)
        c[s] += increment
        if sum(c) > limit:
            c = [(x + 1) >> 1 for x in c]
        assert list(m.counts) == c
        assert sum(c) <= max(limit, n + increment)  # the bound stated in §3.4
    assert m.frequencies.tolist() == quantize_frequencies(c).tolist()


def test_adaptive_total_above_2_24_still_quantizes():
    """n + increment > 2^24: the total exceeds 2^24 (but not 2^25) and stays codable."""
    n = MAX_ALPHABET
    m = AdaptiveModel(n, increment=(1 << 24) - 1, limit=1 << 24)
    enc = RangeEncoder()
    for _ in range(30):
        enc.encode(0, m)
    assert sum(m.counts) > 1 << 24
    assert int(m.frequencies.sum()) == TOTAL
    d, m2 = RangeDecoder(enc.to_bytes(), chunk="TEST"), AdaptiveModel(n, increment=(1 << 24) - 1,
                                                                       limit=1 << 24)
    assert [d.decode(m2) for _ in range(30)] == [0] * 30


@pytest.mark.parametrize("args,kw", [((1,), {}), ((MAX_ALPHABET + 1,), {}),
                                     ((3,), {"increment": 0}), ((3,), {"increment": 8, "limit": 8}),
                                     ((3,), {"limit": (1 << 24) + 1}), ((3, [1, 2]), {}),
                                     ((3, [1, -1, 1]), {}), ((3, [10, 10, 10]), {"limit": 20})])
def test_adaptive_rejects(args, kw):
    with pytest.raises(ValueError):
        AdaptiveModel(*args, **kw)


# round trips ----------------------------------------------------------------------------------

@st.composite
def streams(draw):
    counts = draw(counts_lists)
    n_ad = draw(st.integers(2, 300))
    ops = []
    length = draw(st.integers(0, 150))  # an explicit length: plain lists come out short
    for kind in draw(st.lists(st.sampled_from("sab"), min_size=length, max_size=length)):
        if kind == "s":
            ops.append(("s", draw(st.integers(0, len(counts) - 1))))
        elif kind == "a":
            ops.append(("a", draw(st.integers(0, min(n_ad - 1, draw(st.sampled_from([1, 3, 300])))))))
        else:
            nbits = draw(st.integers(1, 64))
            ops.append(("b", draw(st.integers(0, (1 << nbits) - 1)), nbits))
    return counts, n_ad, ops


@SETTINGS
@given(streams())
def test_round_trip(stream):
    counts, n_ad, ops = stream
    enc, sm, am = RangeEncoder(), StaticModel(counts), AdaptiveModel(n_ad)
    for op in ops:
        if op[0] == "b":
            enc.encode_bits(op[1], op[2])
        else:
            enc.encode(op[1], sm if op[0] == "s" else am)
    data = enc.to_bytes()
    assert not data or data[-1] != 0  # trailing zero bytes are dropped (§3.6)
    dec, sm, am = RangeDecoder(data, chunk="TEST"), StaticModel(counts), AdaptiveModel(n_ad)
    out = [("b", dec.decode_bits(op[2]), op[2]) if op[0] == "b"
           else (op[0], dec.decode(sm if op[0] == "s" else am)) for op in ops]
    assert out == ops


def test_to_bytes_can_be_called_twice_and_continue():
    enc, m = RangeEncoder(), StaticModel([3, 1])
    enc.encode(1, m)
    first = enc.to_bytes()
    assert enc.to_bytes() == first
    enc.encode(0, m)
    d = RangeDecoder(enc.to_bytes(), chunk="TEST")
    assert [d.decode(m), d.decode(m)] == [1, 0]


def test_encoder_rejects_bad_arguments():
    enc = RangeEncoder()
    with pytest.raises(ValueError):
        enc.encode(2, StaticModel([1, 1]))
    with pytest.raises(ValueError):
        enc.encode(-1, StaticModel([1, 1]))
    with pytest.raises(ValueError):
        enc.encode_bits(8, 3)
    for nbits in (0, 65):
        with pytest.raises(ValueError):
            enc.encode_bits(0, nbits)


# payload errors (§3.6, §3.7) ------------------------------------------------------------------

@pytest.mark.parametrize("length", [1, 2, 3, 5, 7, 4097])
def test_any_length_decodes_but_not_a_final_zero_byte(length):
    RangeDecoder(b"\x01" * length, chunk="LABL").decode(StaticModel([1, 1]))
    with pytest.raises(FormatError, match="zero byte") as e:
        RangeDecoder(bytes(length), chunk="LABL")
    assert e.value.chunk == "LABL"


def test_max_bytes_is_a_limit_error():
    with pytest.raises(LimitError):
        RangeDecoder(bytes(64), chunk="CMAP", max_bytes=60)
    RangeDecoder(b"\x01" * 64, chunk="CMAP", max_bytes=64)


def test_termination_is_never_longer_than_the_word_flush():
    """The 2.0 termination (§3.2.1) against constriction's flush of whole words (1.x), same symbols."""
    import constriction

    rng = random.Random(3)
    for trial in range(200):
        counts = [rng.choice([0, 1, 5, 300]) for _ in range(rng.randint(2, 40))]
        m = StaticModel(counts)
        enc, ref = RangeEncoder(), constriction.stream.queue.RangeEncoder()
        for _ in range(rng.randint(1, 200)):
            s = rng.choices(range(len(counts)), weights=[c + 1 for c in counts])[0]
            enc.encode(s, m)
            ref.encode(s, m.categorical())
        assert len(enc.to_bytes()) <= 4 * ref.num_words()  # empty when every symbol had C[s] = 0


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=64), st.integers(2, 300), st.integers(1, 200))
def test_garbage_raises_only_format_error(data, n, num):
    """Any bytes: FormatError or symbols in range, never another exception, never a hang
    (reads past the end are zero words, so `num` symbols always finish)."""
    rng = random.Random(len(data) * 7 + n)
    models = [StaticModel([rng.choice([0, 1, 9, 4000]) for _ in range(n)]), AdaptiveModel(n)]
    try:
        dec = RangeDecoder(data, chunk="TEST")
        for i in range(num):
            if i % 5 == 4:
                assert 0 <= dec.decode_bits(1 + i % 64) < 1 << (1 + i % 64)
            else:
                assert 0 <= dec.decode(models[i % 2]) < n
    except FormatError:
        pass


def test_many_symbols_from_an_empty_payload_finish():
    d = RangeDecoder(b"", chunk="TEST")
    m = AdaptiveModel(5)
    assert [d.decode(m) for _ in range(5000)] == [0] * 5000


def test_accepts_bytearray_and_memoryview():
    enc = RangeEncoder()
    enc.encode_bits(0xBEEF, 16)
    data = enc.to_bytes()
    for buf in (bytearray(data), memoryview(data)):
        assert RangeDecoder(buf, chunk="TEST").decode_bits(16) == 0xBEEF


# golden vector (§3.8) -------------------------------------------------------------------------

GOLDEN_HEX = "5b593c51bb78340c22a9f0ea61d95080"
GOLDEN_STATIC = [0, 0, 2, 1, 0, 0, 0, 2]
GOLDEN_ADAPTIVE = [3, 3, 3, 1, 3, 3, 0, 3, 3, 3, 2, 3]
GOLDEN_BITS = [(0xABCDE, 20), (0x0123456789ABCDEF, 64), (1, 1)]


def _golden_models():
    return StaticModel([5, 1, 2]), AdaptiveModel(4, increment=24, limit=256)


def test_golden_vector_encodes_to_fixed_bytes():
    """Fails if a constriction release (or a change here) alters the bitstream."""
    st_, ad = _golden_models()
    enc = RangeEncoder()
    for s in GOLDEN_STATIC:
        enc.encode(s, st_)
    for s in GOLDEN_ADAPTIVE:
        enc.encode(s, ad)
    for v, nb in GOLDEN_BITS:
        enc.encode_bits(v, nb)
    assert list(ad.counts) == [13, 13, 13, 121]  # the spec's example states these
    assert enc.to_bytes().hex() == GOLDEN_HEX


def test_golden_vector_decodes():
    st_, ad = _golden_models()
    d = RangeDecoder(bytes.fromhex(GOLDEN_HEX), chunk="TEST")
    assert [d.decode(st_) for _ in GOLDEN_STATIC] == GOLDEN_STATIC
    assert [d.decode(ad) for _ in GOLDEN_ADAPTIVE] == GOLDEN_ADAPTIVE
    assert [(d.decode_bits(nb), nb) for _, nb in GOLDEN_BITS] == GOLDEN_BITS


def test_golden_vector_decodes_with_the_spec_decoder():
    d = SpecRangeDecoder(words_from_bytes(bytes.fromhex(GOLDEN_HEX)))
    st_, ad = StaticTable([5, 1, 2]), AdaptiveCounts(4, increment=24, limit=256)
    assert [d.decode_with(st_) for _ in GOLDEN_STATIC] == GOLDEN_STATIC
    assert [d.decode_with(ad) for _ in GOLDEN_ADAPTIVE] == GOLDEN_ADAPTIVE
    assert [(d.decode_bits(nb), nb) for _, nb in GOLDEN_BITS] == GOLDEN_BITS
    assert ad.c == [13, 13, 13, 121]
