"""Range coding with integer frequency tables. Implements spec §3.

Every payload of SSGC (label map, color map, mask) is one range-coded stream produced by
constriction's queue coder (``constriction.stream.queue``: 32-bit words, 64-bit state, 24-bit
model precision, encoder and decoder both running forward). Models are integer frequency tables
that sum to exactly 2^24; floating point never decides a table:

* :func:`quantize_frequencies` is the normative rule of §3.3 turning integer counts into a table;
* :class:`AdaptiveModel` (§3.4) holds integer counts updated after every coded symbol;
* a table ``f`` reaches constriction as ``Categorical(f - 1, perfect=False)``: ``sum(f - 1)`` is
  exactly ``2^24 - n``, so constriction's internal scale is exactly 1.0 and its model equals ``f``
  (verified bit-exactly against the pure-integer decoder of spec §3.2,
  ``conformance/reference_range_coder.py``, by ``tests/test_entropy_spec_decoder.py``).

A payload is read as if followed by zero words, and words left after the last symbol are
ignored (§3.7); the only decoding error is a code point outside every symbol (FormatError).

Encoder and decoder share the same model objects and the same update calls, so a context's state
after a symbol is identical on both sides by construction.

Symbol  →  meaning
    n      number of symbols of an alphabet (2 ≤ n ≤ MAX_ALPHABET)
    c_i    integer count of symbol i in an adaptive model
    f_i    frequency of symbol i in the quantized table, f_i ≥ 1, Σ f_i = 2^24
"""

from __future__ import annotations

import functools
from typing import Any, Iterator, Sequence

import numpy as np

import constriction

from ssgc_format.errors import FormatError, LimitError

PRECISION = 24  # bits of model precision (§3.2)
TOTAL = 1 << PRECISION  # every frequency table sums to this
MAX_ALPHABET = 1 << 16  # largest alphabet a model may have (§3.3)
MAX_COUNT_LIMIT = 1 << 24  # largest `limit` of an adaptive model (§3.4)
# Largest total count quantize_frequencies accepts (§3.3). An adaptive model's total stays at most
# max(limit, n + increment) < 2^24 + 2^16 (§3.4), so this bound is never hit by one; it keeps
# c_i * (2^24 - n) below 2^49.
MAX_TOTAL_COUNT = 1 << 25

_Categorical = constriction.stream.model.Categorical
_QueueDecoder = constriction.stream.queue.RangeDecoder


def quantize_frequencies(counts: Sequence[int] | np.ndarray) -> np.ndarray:
    """Turn integer counts into a frequency table of precision 2^24 (spec §3.3).

    1. ``n = len(counts)``, ``C = Σ c_i``; if ``C = 0`` every ``c_i`` is taken as 1.
    2. ``f_i = 1 + ⌊c_i · (2^24 − n) / C⌋``  (every symbol keeps a nonzero probability).
    3. ``R = 2^24 − Σ f_i`` (``0 ≤ R < n``) is added to the symbol with the largest count,
       the lowest index among equal counts.

    Guarantees: ``f_i ≥ 1`` and ``Σ f_i = 2^24`` exactly, for any counts with
    ``2 ≤ n ≤ MAX_ALPHABET``, ``0 ≤ c_i`` and ``C ≤ MAX_TOTAL_COUNT``; otherwise ``ValueError``.
    """
    c = np.asarray(counts, dtype=np.int64)
    if c.ndim != 1 or not 2 <= c.shape[0] <= MAX_ALPHABET:
        raise ValueError(f"an alphabet needs 2..{MAX_ALPHABET} symbols, got shape {c.shape}")
    if (c < 0).any():
        raise ValueError("counts must be non-negative")
    if int(c.sum()) > MAX_TOTAL_COUNT:
        raise ValueError(f"total count {int(c.sum())} exceeds {MAX_TOTAL_COUNT}")
    return np.asarray(_frequencies_minus_one(c if c.shape[0] > _SMALL else c.tolist()),
                      dtype=np.int64) + 1


_SMALL = 16  # below this alphabet size plain Python integers beat numpy's call overhead


def _frequencies_minus_one(c: Any) -> Any:
    """Steps 1-3 of §3.3 returning ``f_i − 1``, on a list (small n) or an int64 array."""
    n = len(c)
    if isinstance(c, list):
        total = sum(c)
        if total == 0:
            c, total = [1] * n, n
        g = [(ci * (TOTAL - n)) // total for ci in c]
        g[c.index(max(c))] += TOTAL - n - sum(g)
        return g
    total = int(c.sum())
    if total == 0:
        c, total = np.ones(n, dtype=np.int64), n
    g = (c * (TOTAL - n)) // total
    g[int(np.argmax(c))] += TOTAL - n - int(g.sum())  # argmax returns the first maximum
    return g


def _to_categorical(g: Any) -> Any:
    # g = f − 1 sums to 2^24 − n exactly, so constriction's scale factor is exactly 1.0 and its
    # model equals f (see the module docstring).
    return _Categorical(np.asarray(g, dtype=np.float64), perfect=False)


class StaticModel:
    """A fixed frequency table built from integer counts by the rule of §3.3."""

    __slots__ = ("n", "frequencies", "_categorical", "_starts")

    def __init__(self, counts: Sequence[int] | np.ndarray):
        self.frequencies = quantize_frequencies(counts)
        self.n = int(self.frequencies.shape[0])
        self._categorical = _to_categorical(self.frequencies - 1)
        self._starts = [0] + np.cumsum(self.frequencies).tolist()

    def interval(self, symbol: int) -> tuple[int, int]:
        """``(C[s], f[s])`` of §3.1 for the encoder."""
        return self._starts[symbol], self._starts[symbol + 1] - self._starts[symbol]

    @classmethod
    def uniform(cls, n: int) -> "StaticModel":
        """All ``n`` symbols equally likely (counts all 1)."""
        return cls(np.ones(n, dtype=np.int64))

    def categorical(self) -> Any:
        return self._categorical

    def update(self, symbol: int) -> None:  # static: nothing to learn
        pass


class AdaptiveModel:
    """Integer counts that learn from every coded symbol (spec §3.4).

    After symbol ``s`` is coded: ``c_s += increment``; then, if ``Σ c_i > limit``, every count is
    halved rounding up, ``c_i = (c_i + 1) >> 1`` (a zero count stays zero). The table used for
    the next symbol is ``quantize_frequencies(c)``.

    ``init`` gives the initial counts (default: all 1). ``increment`` ≥ 1 and
    ``limit`` ≤ MAX_COUNT_LIMIT are part of the syntax of the payload that uses the model.
    The total count never exceeds ``max(limit, n + increment)`` (one halving per update need
    not bring it under ``limit`` when many counts are 1).
    """

    __slots__ = ("n", "counts", "increment", "limit", "_total", "_categorical")

    def __init__(self, n: int, init: Sequence[int] | None = None, *, increment: int = 32,
                 limit: int = 1 << 16):
        if not 2 <= n <= MAX_ALPHABET:
            raise ValueError(f"an alphabet needs 2..{MAX_ALPHABET} symbols, got {n}")
        if not (1 <= increment and increment < limit <= MAX_COUNT_LIMIT):
            raise ValueError("need 1 <= increment < limit <= MAX_COUNT_LIMIT")
        counts = np.ones(n, dtype=np.int64) if init is None else np.array(init, dtype=np.int64)
        if counts.shape != (n,) or (counts < 0).any():
            raise ValueError(f"initial counts must be {n} non-negative integers")
        self.n = n
        self.increment = increment
        self.limit = limit
        self._total = int(counts.sum())
        if self._total > limit:
            raise ValueError("initial counts exceed the limit")
        # Small alphabets keep a list of Python ints: faster than numpy at this size.
        self.counts = counts.tolist() if n <= _SMALL else counts
        self._categorical = None

    @property
    def frequencies(self) -> np.ndarray:
        return quantize_frequencies(self.counts)

    def interval(self, symbol: int) -> tuple[int, int]:
        """``(C[s], f[s])`` of §3.1 under the current counts, for the encoder."""
        g = _frequencies_minus_one(self.counts)
        if isinstance(g, list):
            return sum(g[:symbol]) + symbol, g[symbol] + 1
        return int(g[:symbol].sum()) + symbol, int(g[symbol]) + 1

    def categorical(self) -> Any:
        if self._categorical is None:
            self._categorical = _to_categorical(_frequencies_minus_one(self.counts))
        return self._categorical

    def update(self, symbol: int) -> None:
        self.counts[symbol] += self.increment
        self._total += self.increment
        if self._total > self.limit:
            if isinstance(self.counts, list):
                self.counts = [(c + 1) >> 1 for c in self.counts]
                self._total = sum(self.counts)
            else:
                self.counts = (self.counts + 1) >> 1
                self._total = int(self.counts.sum())
        self._categorical = None


Model = StaticModel | AdaptiveModel

_BITS_CHUNK = 16  # raw values are coded 16 bits at a time with a uniform table (§3.5)


@functools.lru_cache(maxsize=None)
def _uniform_bits(width: int) -> StaticModel:
    return StaticModel.uniform(1 << width)


def _bit_groups(nbits: int) -> Iterator[tuple[int, int]]:
    """(shift, width) of each group of a raw ``nbits``-bit value, most significant first."""
    if not 1 <= nbits <= 64:
        raise ValueError(f"raw values have 1..64 bits, got {nbits}")
    for shift in range(((nbits - 1) // _BITS_CHUNK) * _BITS_CHUNK, -1, -_BITS_CHUNK):
        yield shift, min(_BITS_CHUNK, nbits - shift)


_WORD = 1 << 32
_MASK64 = (1 << 64) - 1


class RangeEncoder:
    """Writes symbols with models; :meth:`to_bytes` gives the payload (§3.2.1, §3.6).

    The queue range coder of §3.2.1 in plain integers (the decoder side is constriction's): a
    64-bit ``low`` and ``range`` and the 32-bit words already produced, into which a carry may
    still propagate. The termination (:meth:`to_bytes`) picks, inside the final interval, the
    code point with the most trailing zero bits and drops the trailing zero bytes, which the
    decoder reads back as zeros (§3.7).
    """

    def __init__(self) -> None:
        self._words: list[int] = []
        self._low = 0
        self._range = _MASK64
        self._empty = True

    def _code(self, start: int, freq: int) -> None:
        scale = self._range >> PRECISION
        low = self._low + scale * start
        if low > _MASK64:  # carry into the words already produced
            low &= _MASK64
            i = len(self._words) - 1
            while self._words[i] == _WORD - 1:
                self._words[i] = 0
                i -= 1
            self._words[i] += 1
        self._low = low
        self._range = scale * freq
        if self._range < _WORD:  # renormalise: one word out
            self._words.append(self._low >> 32)
            self._low = (self._low << 32) & _MASK64
            self._range <<= 32
        self._empty = False

    def encode(self, symbol: int, model: Model) -> None:
        """Code ``symbol`` (0 ≤ symbol < model.n) with ``model``, then update the model."""
        if not 0 <= symbol < model.n:
            raise ValueError(f"symbol {symbol} outside alphabet of {model.n}")
        start, freq = model.interval(int(symbol))
        self._code(start, freq)
        model.update(symbol)

    def encode_bits(self, value: int, nbits: int) -> None:
        """Code an unsigned ``nbits``-bit integer, most significant 16-bit group first (§3.5)."""
        if not 0 <= value < (1 << nbits):
            raise ValueError(f"{value} does not fit in {nbits} bits")
        for shift, width in _bit_groups(nbits):
            self.encode((value >> shift) & ((1 << width) - 1), _uniform_bits(width))

    def to_bytes(self) -> bytes:
        """The payload: the shortest byte string whose zero continuation lies in the final
        interval (§3.2.1 termination); empty if nothing was encoded. The encoder may continue
        afterwards."""
        if self._empty:
            return b""
        nbytes = 4 * len(self._words) + 8
        low = (int.from_bytes(b"".join(w.to_bytes(4, "big") for w in self._words), "big") << 64) | self._low
        high = low + self._range - 1  # inclusive
        if low == 0:
            point = 0
        else:  # the multiple of the largest power of two in [low, high]
            t = ((low - 1) ^ high).bit_length() - 1
            point = (high >> t) << t
        return point.to_bytes(nbytes, "big").rstrip(b"\0")


class RangeDecoder:
    """Reads symbols from a payload written by :class:`RangeEncoder` (§3.2).

    ``chunk`` names the payload for error messages. A payload longer than ``max_bytes`` is a
    :class:`LimitError` (checked before allocating); a payload whose last byte is zero is a
    :class:`FormatError` (§3.6: trailing zero bytes are never written). Any failure inside
    constriction becomes a :class:`FormatError`. Bytes past the end of the payload read as zeros
    (§3.7), so decoding never hangs: every symbol costs a bounded amount of work whatever the
    bytes.
    """

    def __init__(self, data: bytes, *, chunk: str, max_bytes: int = 1 << 26):
        if len(data) > max_bytes:
            raise LimitError(f"range-coded payload of {len(data)} bytes exceeds {max_bytes}", chunk=chunk)
        if data and data[-1] == 0:
            raise FormatError("range-coded payload ends with a zero byte (non-canonical, §3.6)",
                              chunk=chunk, offset=len(data) - 1)
        self.chunk = chunk
        padded = bytes(data) + b"\0" * (-len(data) % 4)
        words = np.frombuffer(padded, dtype=">u4").astype(np.uint32)
        try:
            self._dec = _QueueDecoder(words)
        except Exception as e:  # constriction rejects some word sequences outright
            raise FormatError(f"invalid range-coded data ({e})", chunk=chunk) from None

    def decode(self, model: Model) -> int:
        """Decode one symbol with ``model``, then update the model."""
        try:
            symbol = int(self._dec.decode(model.categorical()))
        except Exception as e:
            raise FormatError(f"invalid range-coded data ({e})", chunk=self.chunk) from None
        model.update(symbol)
        return symbol

    def decode_bits(self, nbits: int) -> int:
        """Inverse of :meth:`RangeEncoder.encode_bits`."""
        value = 0
        for shift, width in _bit_groups(nbits):
            value = (value << width) | self.decode(_uniform_bits(width))
        return value
